"""A small Django-admin-like staff site over the repositories (no ORM).

Each app registers its pages in its ``staff.py`` (imported by ``autodiscover``): a
``StaffAdmin`` gives list columns, filters, search, bulk actions and a detail page with
actions; a ``StaffPage`` is a free-form page (the dashboard, the sync page).
"""
