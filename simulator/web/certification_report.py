"""A certification run as JUnit XML, the format every CI server and reviewer tool reads: one
testsuite per case, one testcase per check; a failed check, and a check of a case that never ran
or is not decided yet, is a failure with its message."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from simulator.domain.certification import CaseState, Verdict
from simulator.services.certifications import RunView
from simulator.web.wire import format_datetime


def junit_xml(view: RunView) -> bytes:
    run, p = view.run, view.progress
    suites = ET.Element("testsuites", name=f"{run.profile.id} ({run.fiscal_code})")
    total = failures = 0
    for c in p.cases:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{run.profile.id}.{c.case.id}",
            timestamp=format_datetime(run.created_at) or "",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("scenario", c.case.scenario),
            ("state", c.state.value),
            ("cartId", c.facts.cart_id if c.facts else ""),
            ("complete", str(p.complete).lower()),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        checks = {r.check: r for r in c.results}
        suite_failures = 0
        for check in c.case.checks:
            case = ET.SubElement(
                suite, "testcase", classname=f"{run.profile.id}.{c.case.id}", name=check.value
            )
            result = checks.get(check)
            if result is not None and result.verdict is Verdict.PASSED:
                continue
            if result is None:
                message = (
                    "never ran" if c.state is CaseState.NEVER_RAN else "not run yet: the run is incomplete"
                )
            elif result.verdict is Verdict.WAITING:
                message = f"not decided yet: {result.message}"
            else:
                message = result.message
            failure = ET.SubElement(case, "failure", message=message, type=check.value)
            failure.text = message
            suite_failures += 1
        suite.set("tests", str(len(c.case.checks)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += len(c.case.checks)
        failures += suite_failures
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", "0")
    ET.indent(suites)
    xml: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return xml
