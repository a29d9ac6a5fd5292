"""What the inbox and the outbox share: a queue of items with a due time, a lease, a retry
with backoff (``backoff``: pure Python; ``storage``: the DynamoDB side, GSI2 queues)."""
