"""The fault suite (issue 13): two replicas of every service under a restarting supervisor, private engines,
an open-loop driver, injected faults and a checker that counts lost and duplicated work (docs/reliability.md,
Faults)."""
