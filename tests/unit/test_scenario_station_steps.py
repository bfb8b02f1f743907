"""The ``station`` step of scenarios: what each form becomes, and each bad one refused at its line;
the answers the sandbox gives in a station's place are the operation's own, valid SOAP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.scenario.loader import load_text
from simulator.scenario.model import ScenarioError, StationCall, StationReceipt, StationStep
from simulator.services.station import receipt_refusal, scripted_response
from simulator.soap import pa_for_node as pfn
from simulator.soap.envelope import NotSoap, unwrap
from tests.unit.scenario_factories import scenario_text


def refusal(steps: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_text(scenario_text(steps=steps), "bad.yaml")
    return str(caught.value)


def test_every_station_form_becomes_typed_values() -> None:
    scenario = load_text(
        scenario_text(
            steps=(
                "  station:\n"
                "    verify: {delay: 30s}\n"
                "    activate: {answer: PAA_PAGAMENTO_SCADUTO, delay: 1s}\n"
                "    receipt: {answer: PAA_SYSTEM_ERROR, times: 3}\n"
            )
        )
    )

    assert scenario.steps.station == StationStep(
        verify=StationCall(delay=timedelta(seconds=30)),
        activate=StationCall("PAA_PAGAMENTO_SCADUTO", timedelta(seconds=1)),
        receipt=StationReceipt("PAA_SYSTEM_ERROR", 3),
    )


def test_the_short_forms_are_the_answer_alone() -> None:
    steps = load_text(
        scenario_text(steps="  station:\n    verify: malformed\n    receipt: PAA_RECEIPT_DUPLICATA\n")
    ).steps.station

    assert steps == StationStep(
        verify=StationCall("malformed"), receipt=StationReceipt("PAA_RECEIPT_DUPLICATA")
    )


def test_a_scenario_without_a_station_step_scripts_nothing() -> None:
    assert load_text(scenario_text()).steps.station == StationStep()


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            "  station:\n    verify: PAA_bad\n",
            "bad.yaml:7: steps.station.verify: 'PAA_bad' is not 'malformed' or a station fault code PAA_...",
        ),
        (
            "  station:\n    activate: malformd\n",
            "bad.yaml:7: steps.station.activate: 'malformd' is not 'malformed'",
        ),
        (
            "  station:\n    verify: {delay: 2x}\n",
            "bad.yaml:7: steps.station.verify.delay: '2x' is not a duration like 500ms, 2s, 15m or 1h",
        ),
        ("  station:\n    receipt: {times: 2}\n", "bad.yaml:7: steps.station.receipt: missing key 'answer'"),
        (
            "  station:\n    receipt: {answer: PAA_SYSTEM_ERROR, times: 11}\n",
            "bad.yaml:7: steps.station.receipt.times: number 11 is not a number of answered deliveries",
        ),
        (
            "  station:\n    recipt: PAA_SYSTEM_ERROR\n",
            "bad.yaml:7: steps.station.recipt: unknown key; did you mean 'receipt'?",
        ),
        ("  station: {}\n", "bad.yaml:6: steps.station: an empty mapping"),
    ],
    ids=["lower-case-code", "typo", "bad-delay", "no-answer", "too-many-times", "unknown-key", "empty"],
)
def test_a_bad_station_step_is_refused_at_its_line(steps: str, message: str) -> None:
    assert refusal(steps).startswith(message)


def test_the_model_refuses_what_the_schema_would_too() -> None:
    with pytest.raises(ValueError, match="station fault code"):
        StationCall("PPT_SYSTEM_ERROR")
    with pytest.raises(ValueError, match="times is 1 to 10"):
        StationReceipt("PAA_SYSTEM_ERROR", 0)


def test_a_delay_reaching_the_timeout_replaces_the_station() -> None:
    timeout = timedelta(seconds=5)

    assert not StationCall(delay=timedelta(seconds=4)).replaces_station(timeout)
    assert StationCall(delay=timedelta(seconds=5)).times_out(timeout)
    assert StationCall("malformed").replaces_station(timeout)


@pytest.mark.parametrize(
    "operation", ["paVerifyPaymentNotice", "paGetPayment", "paGetPaymentV2", "paSendRT", "paSendRTV2"]
)
def test_a_scripted_fault_is_the_operations_own_valid_ko_answer(operation: str) -> None:
    response = scripted_response(operation, "PAA_PAGAMENTO_SCADUTO", "77777777777_01")

    answer = pfn.read_answer(operation, unwrap(response.body))  # checked against paForNode.xsd

    assert answer.outcome == "KO"
    assert answer.fault is not None and answer.fault.fault_code == "PAA_PAGAMENTO_SCADUTO"


def test_a_scripted_malformed_answer_is_not_xml() -> None:
    with pytest.raises(NotSoap):
        unwrap(scripted_response("paVerifyPaymentNotice", "malformed", "x").body)


@pytest.mark.parametrize(
    ("operation", "answer", "refused"),
    [
        ("paSendRTV2", "PAA_RECEIPT_DUPLICATA", None),
        ("paSendRT", "PAA_SYSTEM_ERROR", "PPT_ERRORE_EMESSO_DA_PAA: PAA_SYSTEM_ERROR"),
        ("paaInviaRT", "PAA_RECEIPT_DUPLICATA", None),  # modello 1 says PAA_RT_DUPLICATA
        ("paaInviaRT", "PAA_SYSTEM_ERROR", "KO PAA_SYSTEM_ERROR"),
        ("paSendRTV2", "malformed", "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"),
    ],
)
def test_a_scripted_receipt_answer_is_judged_as_a_real_one(
    operation: str, answer: str, refused: str | None
) -> None:
    reason = receipt_refusal(operation, scripted_response(operation, answer, "77777777777"))

    assert reason is None if refused is None else reason is not None and reason.startswith(refused)
