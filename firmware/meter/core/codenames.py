"""The console words of the codes (meter.core.codes, docs/codes.md): `status`, `events`, the
remote channel's reports.  Only those reports load this module (they are overlays on a board:
meter/overlay.py, issue 11); the LCD's texts are in meter.core.codetext.
"""
from meter.core.codetext import _row

# One row per code, "<code> <console word>", in one string (see meter.core.codetext)
_NAMES = """
0 supply_on
1 no_credit
2 protected
3 outside_window
4 weekend
5 holiday
6 holiday_eve
7 winter
8 registration
9 medical
10 weather
11 notice
12 too_late
14 limited
15 limiter_trip
16 armed
17 low_credit_1
18 low_credit_2
19 emergency_offer
20 emergency_active
21 cut_cancelled
22 free_supply
30 clock_not_set
31 osc_stopped
32 clock_backwards
33 clock_jumped
34 rtc_no_answer
35 rtc_bad_data
36 clock_too_early
37 clock_too_late
38 clock_drift
39 clock_trusted
100 clock_unsure
101 clock_conflict
102 time_provisioned
103 time_network
104 rtc_corrected
105 time_challenge
40 token_accepted
41 token_invalid
42 token_used
43 token_old
44 keypad_locked
45 token_length
46 key_changed
47 time_set
48 token_reconnect
49 token_nocut
50 token_clear
51 token_emergency
52 entry_timeout
53 token_time_bad
54 token_refused
60 relay_failed
61 storage_error
62 record_corrupt
63 watchdog_reset
64 lcd_error
110 no_key
111 unsaved_restored
70 topup
71 debt_recovered
72 emergency_taken
73 standing_charge
80 bad_command
81 test_mode_off
90 boot
91 relay_opened
92 relay_closed
93 button
94 config_changed
95 protect_changed
120 cold
121 cold_home
122 cold_hold_on
123 cold_hold_off
124 protect_set
125 protect_ended
126 trust_reading
127 trust_network
128 warning_start
129 config_error
130 protected_customer
150 storage_formatted
151 maintenance
152 token_busy
140 remote_command
141 remote_forged
142 remote_replayed
143 remote_stale
144 remote_expired
145 remote_other_meter
146 remote_malformed
147 remote_refused
148 net_time
149 net_online
"""


def name(code):
    """The console word for a code ('code_<n>' for a number this firmware does not know)."""
    r = _row(_NAMES, code)
    return _NAMES[r[0]:r[1]] if r else "code_%d" % code


def all_names():
    """-> [(code, name)] for every code, in table order."""
    out = []
    for line in _NAMES.split("\n"):
        if line:
            code, word = line.split(" ", 1)
            out.append((int(code), word))
    return out
