"""Host tools for election commissions and auditors."""
