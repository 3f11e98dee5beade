"""Rules -> alert states -> notifications -> channels, and the durable outbox.

Nothing here imports pandas or Evidently: alerts see plain metric values.
"""
