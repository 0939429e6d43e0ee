"""remiss.simulering — the SimPy model of the referral portal, policies, KPIs, runner."""
