"""Money and metering (METER.md §3): pulses to Wh to cost, standing charge, top-ups, debt
recovery, emergency credit.  Integers only.

Units: money in minor units (cents).  Energy cost is accumulated in `frac`, in units of
1/(1000 * imp_per_kwh) of a minor unit, and only whole minor units leave the balance, so no
fraction is ever rounded against the household; a fraction lost in a power cut is lost in its
favour.

Conservation (checked by property tests): at every moment
    balance - opening balance == topped_up - debt_recovered - energy_charged - standing_charged
and debt - opening debt == debt_added - debt_recovered.

Emergency credit is a loan the household may take once credit runs low: while it is active the
balance may run down to minus its amount before supply is at risk, and the next top-ups repay it
first (the negative balance is filled before anything else is counted as credit; debt recovery
only takes its share of what remains after that).
"""
from micropython import const

_MILLI = const(1000)


class Credit:
    def __init__(self, cfg):
        self.cfg = cfg
        self.balance = 0
        self.debt = 0                 # outside debt still to recover
        self.ec_active = False
        self.ec_amount = 0            # emergency credit granted while active
        self.frac = 0                 # energy cost not yet charged (see module doc)
        self.pulse_frac = 0           # pulses not yet a whole Wh, times 1000
        # total energy metered, split so that neither part outgrows a small int (2**30 on a
        # 32-bit port: 1.07 GWh would be 2.5 years at 100 kW) nor the record's int32:
        # energy_kwh whole kWh (100 kW for 1,000 years fits), energy_wh the rest, 0..999
        self.energy_kwh = 0
        self.energy_wh = 0
        self.week = -1                # Monday-based week index of week_recovered
        self.week_recovered = 0
        # running totals for audit and the conservation tests
        self.topped_up = 0
        self.debt_added = 0
        self.debt_recovered = 0
        self.energy_charged = 0
        self.standing_charged = 0
        self.ec_taken = 0

    # --- what the household has ----------------------------------------------------------

    def credit_left(self):
        """Balance plus emergency credit not yet used: what the cut threshold compares."""
        if self.ec_active:
            return self.balance + self.ec_amount
        return self.balance

    def energy_total_wh(self):
        """Total energy metered in Wh (a long int past 2**30 on a board: not for the tick)."""
        return self.energy_kwh * 1000 + self.energy_wh

    def ec_used(self):
        if not self.ec_active or self.balance >= 0:
            return 0
        return min(self.ec_amount, -self.balance)

    def ec_available(self):
        """Emergency credit the household may accept now (0 when not offered)."""
        cfg = self.cfg
        if self.ec_active or cfg.emergency_amount <= 0:
            return 0
        if self.credit_left() < cfg.emergency_offer_below:
            return cfg.emergency_amount
        return 0

    def warning_level(self):
        left = self.credit_left()
        if left < self.cfg.warn_level_2:
            return 2
        if left < self.cfg.warn_level_1:
            return 1
        return 0

    # --- charges (hot path: no allocation) -------------------------------------------------

    def pulses(self, n, night):
        """Charges n S0 pulses at the night (or single) rate when night is true."""
        if n <= 0:
            return
        cfg = self.cfg
        imp = cfg.imp_per_kwh
        pf = self.pulse_frac + n * _MILLI
        wh = pf // imp
        self.pulse_frac = pf - wh * imp
        e = self.energy_wh + wh
        if e >= 1000:
            k = e // 1000
            self.energy_kwh += k
            e -= k * 1000
        self.energy_wh = e
        if cfg.tariff == "single":
            price = cfg.price_single
        elif night:
            price = cfg.price_night
        else:
            price = cfg.price_day
        f = self.frac + n * price
        unit = imp * _MILLI
        cents = f // unit
        self.frac = f - cents * unit
        if cents:
            self.balance -= cents
            self.energy_charged += cents

    def standing(self, days):
        if days <= 0:
            return
        amount = days * self.cfg.standing_charge
        self.balance -= amount
        self.standing_charged += amount

    # --- top-ups ---------------------------------------------------------------------------

    def split(self, amount, week):
        """How a top-up of `amount` would be split: returns (to_debt, to_balance) without
        changing anything, so the display can show it before it is applied."""
        cfg = self.cfg
        repay_ec = 0
        if self.ec_active and self.balance < 0:
            repay_ec = min(amount, -self.balance)
        recovered = self.week_recovered if week == self.week else 0
        to_debt = (amount - repay_ec) * cfg.debt_recovery_pct // 100
        to_debt = min(to_debt, self.debt, max(0, cfg.debt_weekly_cap - recovered))
        return to_debt, amount - to_debt

    def topup(self, amount, week):
        """Applies a top-up in minor units; returns the part that went to debt."""
        if amount < 0:
            raise ValueError("negative top-up")
        to_debt, to_balance = self.split(amount, week)
        if week != self.week:
            self.week = week
            self.week_recovered = 0
        self.week_recovered += to_debt
        self.debt -= to_debt
        self.debt_recovered += to_debt
        self.topped_up += amount
        self.balance += to_balance
        if self.ec_active and self.balance >= 0:
            # the loan is repaid: it may be offered again next time credit runs low
            self.ec_active = False
            self.ec_amount = 0
        return to_debt

    def set_balance(self, amount):
        """A 'set credit' token (OpenPAYGO): the balance becomes amount; the difference is
        booked as a top-up (possibly negative) so the books still balance."""
        self.topped_up += amount - self.balance
        self.balance = amount
        if self.ec_active and self.balance >= 0:
            self.ec_active = False
            self.ec_amount = 0

    def add_debt(self, amount):
        if amount < 0:
            raise ValueError("negative debt")
        self.debt += amount
        self.debt_added += amount

    def accept_emergency(self):
        """The household accepts the emergency credit on offer; returns the amount (0: none)."""
        amount = self.ec_available()
        if amount:
            self.ec_active = True
            self.ec_amount = amount
            self.ec_taken += amount
        return amount
