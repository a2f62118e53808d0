"""Demo data for `manage.py seed_demo`: a Nanchang-like city and, on request, many realistic cases.

`places` holds the static reference data (areas, departments, categories, the
diversion list, the demo logins), `reference` writes it idempotently, `cases`
generates case rows that obey the lifecycle table and `loader` bulk-inserts them.
"""
