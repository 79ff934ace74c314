"""Referrals to partner organisations and asylum pathways: partners, packets, statuses, their pages."""
