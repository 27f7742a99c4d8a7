"""Delivery agents (local, virtual, smtp, lmtp, pipe, error, retry, discard).

qmgr hands each agent a DeliveryRequest (request.py) over the agent's
socket $queue_directory/private/NAME; the agent answers with one status
per recipient.  agent.py is the common service shell: it logs Postfix's
"to=<...>, relay=..., delay=..., status=..." lines, records finished
recipients in the queue file and appends to the bounce and defer logs.
"""
