"""Asmbly's eight shops (DESIGN.md section 5, reference/asmbly.md sections 3, 5 and 7).

Defaults for a fresh table; staff can edit shops afterwards. Certification ids are Neon
account custom fields; Slack channels are the PM bot's channel per area.
"""

from __future__ import annotations

from .domain import Certification, CertificationRule, Shop

WOODSHOP_SAFETY = Certification("84", "Woodshop Safety")
METAL_SHOP_SAFETY = Certification("520", "Metal Shop Safety")
BIG_LASERS = Certification("86", "Big Lasers")
SMALL_LASERS = Certification("680", "Small Lasers")
FILAMENT_3D = Certification("683", "Filament 3D Printers")
RESIN_3D = Certification("684", "Resin 3D Printers")
CERAMICS_CSI = Certification("1248", "Ceramics Safety Instruction (CSI)")

ASMBLY_SHOPS: tuple[Shop, ...] = (
    Shop(
        slug="woodshop",
        name="Woodshop",
        slack_channel="woodshop",
        required_certifications=(WOODSHOP_SAFETY,),
        clickup_workspace_options=("Woodshop",),
        color="#F3B61B",
    ),
    Shop(
        slug="metal-shop",
        name="Metal Shop",
        slack_channel="metal-shop",
        required_certifications=(METAL_SHOP_SAFETY,),
        clickup_workspace_options=("Metal-Shop", "Metal Shop"),
        color="#578BC9",
    ),
    Shop(
        slug="electronics",
        name="Electronics",
        slack_channel="electronics",
        clickup_workspace_options=("Electronics",),
        color="#00916E",
    ),
    Shop(
        slug="lasers",
        name="Lasers",
        slack_channel="lasers",
        required_certifications=(BIG_LASERS, SMALL_LASERS),
        certification_rule=CertificationRule.ANY,
        clickup_workspace_options=("Lasers",),
        color="#D33E43",
    ),
    Shop(
        slug="3d-printing",
        name="3D Printing",
        slack_channel="3d-printing",
        required_certifications=(FILAMENT_3D, RESIN_3D),
        certification_rule=CertificationRule.ANY,
        clickup_workspace_options=("3D Printing",),
        color="#EE6E23",
    ),
    Shop(
        slug="textiles",
        name="Textiles",
        slack_channel="textiles",
        clickup_workspace_options=("Textiles",),
        color="#79CCC4",
    ),
    Shop(
        slug="ceramics",
        name="Ceramics",
        slack_channel="ceramics",
        required_certifications=(CERAMICS_CSI,),
        clickup_workspace_options=("Ceramics",),
        color="#B34A9A",
    ),
    Shop(
        slug="general",
        name="General Facility",
        slack_channel="stewards",
        clickup_workspace_options=(
            "General Areas",
            "Multi-Purpose Room",
            "Lobby",
            "Studios",
            "Hallway",
            "Bathrooms",
            "HVAC",
            "Education / Classes",
        ),
    ),
)

SHOP_SLUGS: tuple[str, ...] = tuple(s.slug for s in ASMBLY_SHOPS)
