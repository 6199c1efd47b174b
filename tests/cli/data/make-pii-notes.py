#!/usr/bin/env python3
"""Writes pii_notes.csv: 400 support tickets of fake people in real formats (gmail-style e-mails,
NANP phones outside 555-01xx, rule-valid SSNs, Luhn-valid cards outside the test BINs), with PII
both as a structured column (email) and inside free text (notes).  Names come from
datasets/names.txt but not from synth's fake lists, so no fake can equal them.  Deterministic;
the CSV is committed, run this only to change it (then check tests/cli/98_pii_leak.bats)."""
import csv, os, random

rnd = random.Random(20261126)
FIRST = ["Priya", "Wei", "Maria", "Fatima", "Lars", "Kofi", "Ana"]
LAST = ["Okafor", "Tanaka", "Garcia", "Chen", "Jensen", "Mensah"]
DOMAINS = ["gmail.com", "mail.com", "outlook.com", "yahoo.co.uk"]


def luhn_complete(payload):
    digits = [int(c) for c in payload]
    s = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return payload + str((10 - s % 10) % 10)


def ssn():
    while True:
        a, g, s = rnd.randint(1, 899), rnd.randint(1, 99), rnd.randint(1, 9999)
        if a != 666:
            return "%03d-%02d-%04d" % (a, g, s)


rows = []
for i in range(400):
    f, l = rnd.choice(FIRST), rnd.choice(LAST)
    name = "%s %s" % (f, l)
    email = "%s.%s%d@%s" % (f.lower(), l.lower(), i, rnd.choice(DOMAINS))
    phone = "(%d) %d-%04d" % (rnd.choice([415, 646, 312, 713]), rnd.choice([867, 932, 274]), rnd.randint(0, 9999))
    card = luhn_complete("4%014d" % rnd.randint(0, 10**14 - 1))
    card = " ".join(card[k:k + 4] for k in range(0, 16, 4))
    t = i % 6
    if t == 0:
        note = "Customer %s called about the late delivery, call back at %s" % (name, phone)
    elif t == 1:
        note = "Refund issued to %s after the customer complained about the delivery" % email
    elif t == 2:
        note = "Please email %s or call %s about the order status" % (email, phone)
    elif t == 3:
        note = "Spoke with %s about the order, customer happy with the refund" % name
    elif t == 4:
        note = "Identity check done: SSN %s verified, card %s declined" % (ssn(), card)
    else:
        note = "Order shipped, customer happy with the delivery"
    rows.append(["T%05d" % (i + 1), rnd.choice(["open", "closed", "pending"]), email, note])

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pii_notes.csv")
with open(out, "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["ticket_id", "status", "email", "notes"])
    w.writerows(rows)
