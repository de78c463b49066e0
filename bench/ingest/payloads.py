#!/usr/bin/env python3
"""Writes N signed WhatsApp text callbacks, one `signature<TAB>body` line each (bench/ingest).

usage: payloads.py N PREFIX APP_SECRET CONTACTS > file
Each message has a unique wamid (PREFIX.i) and comes from one of CONTACTS contacts, so most
messages land in an existing conversation, as in production.
"""
import hashlib
import hmac
import json
import sys

count, prefix, secret, contacts = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
out = sys.stdout
for i in range(count):
    contact = str(5511900000000 + i % contacts)
    body = json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Bench " + contact}, "wa_id": contact}],
            "messages": [{"from": contact, "id": f"wamid.{prefix}.{i}", "timestamp": "1739321024",
                          "type": "text", "text": {"body": f"bench message {i}"}}]}}]}]},
        separators=(",", ":"))
    signature = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    out.write(signature + "\t" + body + "\n")
