"""The outbox: queue a message, then dispatch it — claim, decide, render, hand off.

Dispatch claims rows with one conditional `UPDATE … WHERE status IN ('queued','deferred')
RETURNING id`, decides and renders them in the same transaction, and calls the provider
only after commit. A worker killed before that commit leaves its rows queued (the beat
task picks them up again); a row already claimed is never claimed twice, so nothing is
sent twice. A worker killed during the hand-off leaves rows in `sending`; its hand-off
journal (`journal.py`: one Redis command per message) tells the sweeper,
`messages_interrupted_recover`, which of them reached the provider, which one was in
flight (`uncertain`, never resent) and which never left (queued again and sent).

One module per step, imported from the module that owns it (this package exports nothing):
`queue` (message_queue), `claim` (take due rows once, load them), `prepare` (decide, mint
links, write the decisions), `render` (text and headers of each message to send),
`journal` (the hand-off journal), `dispatch` (messages_dispatch, the provider calls),
`results` (writing providers' answers), `recovery` (rows a killed worker left `sending`),
`now` (notice_send_now), `audit` (the notices' audit entries).
"""
