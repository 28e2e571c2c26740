"""`python -m host_tools audit`: a ballot-polling risk-limiting audit of the paper slips.

The electronic result comes from the verified bundles (and, where a precinct was counted by
hand, its hand count, which prevails under the Kyrgyz rule). Slips are drawn with the
public seed over the ballot manifest, their QR codes read (zbar, then zxing-cpp), and BRAVO
measures the risk that the reported winners are wrong. When the sample limit is reached
first, the audit escalates: a full hand count.

Exit status: 0 the paper confirms every contest within the risk limit; 1 a bundle fails,
or the audit escalates to a full hand count; 2 the package, the seed, the slips or the hand
count file cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from host_tools.audit import manual, paper, sampler
from host_tools.audit.bravo import ContestAudit
from host_tools.guard import GUARDED_EXIT_LINES
from host_tools.pinning import EXIT_PACKAGE, add_pin_arguments, pinned_package
from host_tools.tally import sum_protocols
from host_tools.verify import counted_bundles, report_results, verify_bundles
from terminal.ballot.election import Election, Mode
from terminal.tally.bundle import VerifiedBundle

EXIT_OK, EXIT_ESCALATE = 0, 1
EXAMPLES = (
    """examples:
  python -m host_tools audit --package election/package --commission-key 3f9a... \\
      --seed 31415926535897932384 --slips 1234=box-1234/ bundles/1234/*
  ... --risk-limit 0.05 --manual-count hand-count.csv --retrieval-list pull.txt --json

exit status:
  0    every contest's outcome is confirmed at the risk limit
  1    a contest goes to a full hand count, or a bundle does not verify (nothing audited)
  2    the package, the seed, the slips or the manual count cannot be used (named)
"""
    + GUARDED_EXIT_LINES
)


def add_audit_parser(commands: Any) -> None:
    """The `audit` command (commands: the host tools' subparsers)."""
    audit = commands.add_parser(
        "audit",
        help="risk-limiting audit of the paper slips against the electronic count",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("--package", type=Path, required=True, help="the election package")
    add_pin_arguments(audit)
    audit.add_argument("--seed", required=True, help="the public random seed (dice rolls)")
    audit.add_argument(
        "--slips",
        action="append",
        required=True,
        metavar="PRECINCT=DIR",
        help="one precinct's slips as images, in the order of its stack (sorted file names)",
    )
    audit.add_argument("--slip-glob", default="*slip*", help="which files of DIR are slips")
    audit.add_argument("--risk-limit", type=float, default=0.05, help="alpha (default 0.05)")
    audit.add_argument(
        "--max-draws", type=int, help="escalate after this many draws (default: every ballot)"
    )
    audit.add_argument("--manual-count", type=Path, help="CSV precinct,contest,choice,votes")
    audit.add_argument("--retrieval-list", type=Path, help="write the slips to pull here")
    audit.add_argument("--json", action="store_true", help="print the report as JSON")
    audit.add_argument("bundles", type=Path, nargs="+", metavar="BUNDLE")
    audit.set_defaults(run=run_audit)


def _electronic(election: Election, bundles: list[VerifiedBundle]) -> manual.Counts:
    counts: manual.Counts = {}
    for precinct in sorted({b.protocol.precinct for b in bundles}):
        mine = [b for b in bundles if b.protocol.precinct == precinct]
        counts[precinct] = sum_protocols(election, mine).votes
    return counts


def _boxes(args: argparse.Namespace, election: Election) -> paper.Manifest:
    boxes = []
    for given in args.slips:
        precinct, eq, directory = given.partition("=")
        if not eq:
            raise paper.PaperError(f"--slips {given}: write PRECINCT=DIR")
        boxes.append(paper.read_box(precinct, Path(directory), args.slip_glob, election))
    return paper.manifest(boxes)


def run_audit(args: argparse.Namespace) -> int:
    """The audit, as the module docstring says."""
    package = pinned_package(args)
    election = package.election
    try:
        seed = sampler.check_seed(args.seed)
        if not 0 < args.risk_limit < 1:
            raise ValueError("--risk-limit must lie strictly between 0 and 1")
        manifest = _boxes(args, election)
        hand = None
        if args.manual_count:
            hand = manual.read_manual_count(args.manual_count, election)
    except (sampler.SeedError, paper.PaperError, manual.ManualCountError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PACKAGE
    results = verify_bundles(package, args.bundles, check_records=False)
    if not report_results(package, results, quiet=True):
        print("nothing audited: every bundle must verify first", file=sys.stderr)
        return EXIT_ESCALATE
    bundles = counted_bundles(results)
    electronic = _electronic(election, bundles)
    report: dict[str, Any] = {"election": election.id, "mode": election.mode.value}
    found = manual.differences(electronic, hand) if hand else []
    report["hand_count_differences"] = [d.describe() for d in found]
    standing = manual.prevailing(electronic, hand) if hand else electronic
    cast = {p: sum(b.ballots for b in bundles if b.protocol.precinct == p) for p in electronic}
    report["paper_vs_electronic"] = [
        f"precinct {box.precinct}: {box.slips} slips on paper, {cast.get(box.precinct, 0)} "
        "ballots in the electronic count"
        for box in manifest.boxes
        if box.slips != cast.get(box.precinct, 0)
    ]
    audits = []
    for contest in election.contests:
        votes = {c.id: sum(standing[p].get(contest.id, {}).get(c.id, 0) for p in standing)
                 for c in contest.choices}  # fmt: skip
        audits.append(
            ContestAudit.start(contest.id, votes, contest.max_selections, args.risk_limit)
        )
    limit = args.max_draws or manifest.ballots
    pulls: list[str] = []
    unread: list[str] = []
    cache: dict[Path, paper.ReadSlip] = {}
    for index, ballot in enumerate(sampler.draws(seed, manifest.ballots), 1):
        if all(a.confirmed for a in audits) or index > limit:
            break
        box, number = manifest.locate(ballot)
        image = box.images[number - 1]
        pulls.append(f"draw {index}: ballot {ballot} = precinct {box.precinct}, slip {number} "
                     f"({image.name})")  # fmt: skip
        if image not in cache:
            cache[image] = paper.read_slip(image, election, box.precinct)
            if cache[image].record is None:
                unread.append(f"precinct {box.precinct}, slip {number} ({image}): "
                              f"{cache[image].problem}; counted against every winner")  # fmt: skip
        record = cache[image].record
        for audit in audits:
            if not audit.confirmed:
                marked = None if record is None else frozenset(record.selections[audit.contest])
                audit.observe(marked)
    report["draws"] = len(pulls)
    report["unread_slips"] = unread
    report["contests"] = [
        {
            "contest": a.contest,
            "winners": list(a.winners),
            "sampled": a.sampled,
            "risk": round(a.risk, 6),
            "risk_limit": a.alpha,
            "outcome": "confirmed" if a.confirmed else "full hand count",
        }
        for a in audits
    ]
    if args.retrieval_list:
        args.retrieval_list.write_text("".join(line + "\n" for line in pulls), encoding="utf-8")
    escalate = not all(a.confirmed for a in audits)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_render(report, election))
    return EXIT_ESCALATE if escalate else EXIT_OK


def _render(report: dict[str, Any], election: Election) -> str:
    lines = []
    if election.mode is Mode.TEST:
        lines.append("*** TEST ELECTION: a test audit, never official ***")
    lines.append(f"Paper audit of {election.id}: {report['draws']} slips drawn")
    for text in report["hand_count_differences"]:
        lines.append(f"DIFFERENCE {text}")
    for text in report["paper_vs_electronic"]:
        lines.append(f"NOTE {text}")
    for text in report["unread_slips"]:
        lines.append(f"UNREAD {text}")
    for c in report["contests"]:
        verdict = (
            f"CONFIRMED: the paper confirms {', '.join(c['winners'])} at risk {c['risk']:.4f} "
            f"<= {c['risk_limit']}"
            if c["outcome"] == "confirmed"
            else f"ESCALATE: FULL HAND COUNT (measured risk {c['risk']:.4f} > {c['risk_limit']} "
            f"after {c['sampled']} slips)"
        )
        lines.append(f"contest {c['contest']}: {verdict}")
    return "\n".join(lines)
