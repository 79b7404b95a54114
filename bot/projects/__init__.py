"""HERO projects: customer-facing initiatives, logged, owned, followed from proposal to retirement."""
