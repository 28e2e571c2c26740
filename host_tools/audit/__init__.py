"""The audit step of the commission's workflow: the auditors' report of a collected
election (`report`), and the paper audit (`audit`: a risk-limiting audit of the slips
against the electronic count).

The statistics (sampler.py, bravo.py) stay apart from all input and output, so each can
be checked alone; paper.py reads slips, manual.py hand counts, paper_command.py is the
`audit` command."""
