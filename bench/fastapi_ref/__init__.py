"""A FastAPI + Mangum + boto3 stand-in for the original design of this backend (bench only)."""
