"""Councils: cross-functional groups that get a scheduled digest of projects, complaints and risk reviews."""
