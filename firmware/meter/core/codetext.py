"""The words and LCD texts of the codes (meter.core.codes, docs/codes.md): what a board loads
to show or report a code.

The numbers themselves live in meter.core.codes, which the firmware never imports: each module
compiles in the codes it gives as `_NAME = const(n)` (issue 11: on the deploy path ~100 code
names took about 4 KB of a board's heap and pushed its qstr pool over a doubling).
host_tests/test_codes.py holds every such constant and every row here to meter.core.codes.
"""

# One row per code, "<code> <console name> <LCD text, at most 16 characters>", in ONE string: as
# 96 tuples of strings the table took about 9 KB of a board's heap on the deploy path, as one
# string about 3 KB (issue 11).  host_tests/test_codes.py holds every row's number to the
# constant of the same name, so a code, its word and its text cannot drift apart.  Looked up
# only when a code is shown or reported, never per control step.
_TABLE = """
0 supply_on SUPPLY ON
1 no_credit NO CREDIT - CUT
2 protected PROTECTED NO CUT
3 outside_window NO CUT: HOURS
4 weekend NO CUT: WEEKEND
5 holiday NO CUT: HOLIDAY
6 holiday_eve NO CUT:HOLIDAY-1
7 winter NO CUT: WINTER
8 registration NO CUT: REGISTER
9 medical NO CUT: MEDICAL
10 weather NO CUT: WEATHER
11 notice NO CUT: NOTICE
12 too_late NO CUT: TOO LATE
14 limited POWER LIMITED
15 limiter_trip LIMITER TRIPPED
16 armed PRESS # = POWER
17 low_credit_1 LOW CREDIT
18 low_credit_2 VERY LOW CREDIT
19 emergency_offer EMERGENCY: B #
20 emergency_active EMERGENCY CREDIT
21 cut_cancelled CUT CANCELLED
22 free_supply SUPPLY UNLOCKED
30 clock_not_set CLOCK NOT SET
31 osc_stopped CLOCK STOPPED
32 clock_backwards CLOCK WENT BACK
33 clock_jumped CLOCK JUMPED
34 rtc_no_answer RTC NOT ANSWER
35 rtc_bad_data RTC BAD DATA
36 clock_too_early CLOCK TOO EARLY
37 clock_too_late CLOCK TOO LATE
38 clock_drift CLOCK DRIFTING
39 clock_trusted CLOCK OK
100 clock_unsure CLOCK UNSURE
101 clock_conflict CLOCK CONFLICT
102 time_provisioned TIME PROVISIONED
103 time_network NETWORK TIME
104 rtc_corrected RTC CORRECTED
105 time_challenge TIME CONFIRMED
40 token_accepted TOKEN ACCEPTED
41 token_invalid INVALID TOKEN
42 token_used TOKEN USED
43 token_old TOKEN TOO OLD
44 keypad_locked KEYPAD LOCKED
45 token_length WRONG LENGTH
46 key_changed KEY CHANGED
47 time_set TIME SET
48 token_reconnect RECONNECT OK
49 token_nocut NO-CUT SET
50 token_clear ALERTS CLEARED
51 token_emergency EMERG. SETTINGS
52 entry_timeout ENTRY TIMED OUT
53 token_time_bad TOKEN TIME BAD
54 token_refused TOKEN REFUSED
60 relay_failed RELAY FAULT
61 storage_error STORAGE ERROR
62 record_corrupt MEMORY RESET
63 watchdog_reset WATCHDOG RESET
64 lcd_error DISPLAY ERROR
110 no_key NO KEY: NO CUT
111 unsaved_restored ENERGY RESTORED
70 topup TOP-UP
71 debt_recovered DEBT RECOVERED
72 emergency_taken EMERGENCY TAKEN
73 standing_charge STANDING CHARGE
80 bad_command BAD COMMAND
81 test_mode_off TEST MODE OFF
90 boot STARTED
91 relay_opened SUPPLY OFF
92 relay_closed SUPPLY ON
93 button BUTTON
94 config_changed CONFIG CHANGED
95 protect_changed PROTECT CHANGED
120 cold NO CUT: COLD
121 cold_home NO CUT: TOO COLD
122 cold_hold_on COLD HOLD ON
123 cold_hold_off COLD HOLD OFF
124 protect_set PROTECTION SET
125 protect_ended PROTECTION ENDED
126 trust_reading RTC READING
127 trust_network NETWORK TIME
128 warning_start WARNING STARTED
129 config_error CONFIG ERROR
130 protected_customer PROTECTED CUST.
150 storage_formatted NEW FILESYSTEM
151 maintenance MAINTENANCE MODE
152 token_busy TRY TOKEN LATER
140 remote_command REMOTE COMMAND
141 remote_forged REMOTE: FORGED
142 remote_replayed REMOTE: REPLAYED
143 remote_stale REMOTE: STALE
144 remote_expired REMOTE: EXPIRED
145 remote_other_meter REMOTE: NOT MINE
146 remote_malformed REMOTE: BAD DATA
147 remote_refused REMOTE: REFUSED
148 net_time NETWORK TIME
149 net_online NETWORK
"""


def _row(code):
    """-> (start of the name, end of the name, end of the text) in _TABLE, or None."""
    i = _TABLE.find("\n%d " % code)
    if i < 0:
        return None
    a = _TABLE.index(" ", i + 1) + 1
    b = _TABLE.index(" ", a)
    return a, b, _TABLE.index("\n", b)


def name(code):
    """The console word for a code ('code_<n>' for a number this firmware does not know)."""
    r = _row(code)
    return _TABLE[r[0]:r[1]] if r else "code_%d" % code


def text(code):
    """The LCD text for a code, at most 16 characters."""
    r = _row(code)
    return _TABLE[r[1] + 1:r[2]] if r else "UNKNOWN EVENT"


def all_codes():
    """-> [(code, name, text)] for every code (docs, tests)."""
    out = []
    for line in _TABLE.split("\n"):
        if line:
            code, word, txt = line.split(" ", 2)
            out.append((int(code), word, txt))
    return out
