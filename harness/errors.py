"""Exceptions of the phaseline API: one class per rule name, under one class per SQLSTATE.

Every error phaseline raises names its rule in the CONSTRAINT field; the
client (phaseline.client) turns a psycopg error into the class of its rule,
which carries sqlstate, rule, message, detail and hint. tests/test_client.py
checks that every rule raised in sql/ has its class here, with its SQLSTATE.
"""

from __future__ import annotations

import psycopg


class PhaselineError(Exception):
    """An error raised by phaseline, with the fields of the server's error report."""

    sqlstate: str = ""
    rule: str | None = None

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str = "",
        rule: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate or type(self).sqlstate
        self.rule = rule or type(self).rule
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [f"{self.sqlstate} {self.rule or ''}: {self.message}".replace(" :", ":")]
        parts += [f"DETAIL: {self.detail}"] * bool(self.detail) + [f"HINT: {self.hint}"] * bool(self.hint)
        return "\n".join(parts)


class NotFoundError(PhaselineError):
    """P0002: A version, decision, user, cycle, report or phase does not exist."""

    sqlstate = "P0002"


class InvalidArgumentError(PhaselineError):
    """22023: A malformed argument: JSON shape, unknown enum value, duplicate key, blank name."""

    sqlstate = "22023"


class TooLongError(PhaselineError):
    """22001: A text argument is longer than its documented limit."""

    sqlstate = "22001"


class ContractError(PhaselineError):
    """23514: Data breaks a rule on its content (a phase contract)."""

    sqlstate = "23514"


class WrongStateError(PhaselineError):
    """55000: The thing is in the wrong state: illegal transition, frozen version, open version exists."""

    sqlstate = "55000"


class NotAllowedError(PhaselineError):
    """42501: The actor may not do this: four eyes, not a reviewer, not assigned, inactive, viewer."""

    sqlstate = "42501"


class AlreadyExistsError(PhaselineError):
    """23505: A unique name or key is taken."""

    sqlstate = "23505"


class DanglingReferenceError(PhaselineError):
    """23503: A row points at something that does not exist."""

    sqlstate = "23503"


class BusyError(PhaselineError):
    """55P03: A lock could not be taken in time; retry."""

    sqlstate = "55P03"


class ActorMismatchError(NotAllowedError):
    rule = "actor_mismatch"


class ActorNotSessionError(NotAllowedError):
    rule = "actor_not_session"


class ActorRequiredError(NotAllowedError):
    rule = "actor_required"


class AdminOnlyError(NotAllowedError):
    rule = "admin_only"


class ArgumentRequiredError(InvalidArgumentError):
    rule = "argument_required"


class AttributeShapeError(InvalidArgumentError):
    rule = "attribute_shape"


class AuditAppendOnlyError(WrongStateError):
    rule = "audit_append_only"


class BatchSizePositiveError(InvalidArgumentError):
    rule = "batch_size_positive"


class CarriedLineageError(InvalidArgumentError):
    rule = "carried_lineage"


class CarryScopeError(InvalidArgumentError):
    rule = "carry_scope"


class CompatViewReadOnlyError(WrongStateError):
    rule = "compat_view_read_only"


class CyclePeriodFiniteError(InvalidArgumentError):
    rule = "cycle_period_finite"


class CyclePeriodOrderedError(InvalidArgumentError):
    rule = "cycle_period_ordered"


class CyclePeriodRequiredError(InvalidArgumentError):
    rule = "cycle_period_required"


class DbRoleMappedError(AlreadyExistsError):
    rule = "db_role_mapped"


class DbRoleSuperuserError(NotAllowedError):
    rule = "db_role_superuser"


class DecisionNoteLengthError(TooLongError):
    rule = "decision_note_length"


class DecisionWindowError(WrongStateError):
    rule = "decision_window"


class DecisionsShapeError(InvalidArgumentError):
    rule = "decisions_shape"


class DeletionNotAcceptableError(WrongStateError):
    rule = "deletion_not_acceptable"


class DuplicateSampleKeyError(InvalidArgumentError):
    rule = "duplicate_sample_key"


class EmailIsAddressError(InvalidArgumentError):
    rule = "email_is_address"


class EmailLengthError(TooLongError):
    rule = "email_length"


class EngineManagedError(WrongStateError):
    rule = "engine_managed"


class FourEyesError(NotAllowedError):
    rule = "four_eyes"


class GroupBusyError(BusyError):
    rule = "group_busy"


class IllegalTransitionError(WrongStateError):
    rule = "illegal_transition"


class ImmutableColumnError(WrongStateError):
    rule = "immutable_column"


class InactiveUserError(NotAllowedError):
    rule = "inactive_user"


class JsonTooLargeError(InvalidArgumentError):
    rule = "json_too_large"


class LastAdminError(WrongStateError):
    rule = "last_admin"


class NoDeleteError(WrongStateError):
    rule = "no_delete"


class NoSelfDeactivationError(InvalidArgumentError):
    rule = "no_self_deactivation"


class NotAssignedError(NotAllowedError):
    rule = "not_assigned"


class NotReviewerError(NotAllowedError):
    rule = "not_reviewer"


class NoteRequiredError(InvalidArgumentError):
    rule = "note_required"


class OpenVersionExistsError(WrongStateError):
    rule = "open_version_exists"


class OwnerCanReviewError(InvalidArgumentError):
    rule = "owner_can_review"


class PendingDecisionsError(WrongStateError):
    rule = "pending_decisions"


class PhaseContractError(ContractError):
    rule = "phase_contract"


class PhaseContractMalformedError(InvalidArgumentError):
    rule = "phase_contract_malformed"


class PhaseDataShapeError(InvalidArgumentError):
    rule = "phase_data_shape"


class PhaseNameIsPlainError(InvalidArgumentError):
    rule = "phase_name_is_plain"


class PhaseNotCompletedError(WrongStateError):
    rule = "phase_not_completed"


class PhaseOrdinalPositiveError(InvalidArgumentError):
    rule = "phase_ordinal_positive"


class PhaseOrdinalTakenError(InvalidArgumentError):
    rule = "phase_ordinal_taken"


class PhaseStatusForwardError(WrongStateError):
    rule = "phase_status_forward"


class RecommendationShapeError(InvalidArgumentError):
    rule = "recommendation_shape"


class ReportsNameKeyError(AlreadyExistsError):
    rule = "reports_name_key"


class ReviewNoteRequiredError(InvalidArgumentError):
    rule = "review_note_required"


class RoleNotMappedError(NotAllowedError):
    rule = "role_not_mapped"


class SampleDecisionsReferencesError(DanglingReferenceError):
    rule = "sample_decisions_references"


class SampleKeyLengthError(TooLongError):
    rule = "sample_key_length"


class SamplesShapeError(InvalidArgumentError):
    rule = "samples_shape"


class TestCyclesNameKeyError(AlreadyExistsError):
    rule = "test_cycles_name_key"


class TesterCanTestError(InvalidArgumentError):
    rule = "tester_can_test"


class UnknownActorBindingError(InvalidArgumentError):
    rule = "unknown_actor_binding"


class UnknownArtifactTypeError(InvalidArgumentError):
    rule = "unknown_artifact_type"


class UnknownCycleError(NotFoundError):
    rule = "unknown_cycle"


class UnknownCycleReportError(NotFoundError):
    rule = "unknown_cycle_report"


class UnknownDbRoleError(NotFoundError):
    rule = "unknown_db_role"


class UnknownDecisionError(NotFoundError):
    rule = "unknown_decision"


class UnknownDefectError(NotFoundError):
    rule = "unknown_defect"


class UnknownLockGroupError(InvalidArgumentError):
    rule = "unknown_lock_group"


class UnknownMaxJsonBytesError(InvalidArgumentError):
    rule = "unknown_max_json_bytes"


class UnknownPhaseError(NotFoundError):
    rule = "unknown_phase"


class UnknownReportError(NotFoundError):
    rule = "unknown_report"


class UnknownRoleError(InvalidArgumentError):
    rule = "unknown_role"


class UnknownSampleKeyError(NotFoundError):
    rule = "unknown_sample_key"


class UnknownSourceError(InvalidArgumentError):
    rule = "unknown_source"


class UnknownStepError(InvalidArgumentError):
    rule = "unknown_step"


class UnknownUserError(NotFoundError):
    rule = "unknown_user"


class UnknownVersionError(NotFoundError):
    rule = "unknown_version"


class UsersEmailKeyError(AlreadyExistsError):
    rule = "users_email_key"


class VersionFrozenError(WrongStateError):
    rule = "version_frozen"


class VersionNotDraftError(WrongStateError):
    rule = "version_not_draft"


class ViewerReadOnlyError(NotAllowedError):
    rule = "viewer_read_only"


class DecisionItemsReferencesError(DanglingReferenceError):
    rule = "decision_items_references"


class DuplicateItemKeyError(InvalidArgumentError):
    rule = "duplicate_item_key"


class ItemContractError(ContractError):
    rule = "item_contract"


class ItemKeyLengthError(TooLongError):
    rule = "item_key_length"


class ItemsShapeError(InvalidArgumentError):
    rule = "items_shape"


class UnknownDecisionSetError(InvalidArgumentError):
    rule = "unknown_decision_set"


class UnknownItemError(NotFoundError):
    rule = "unknown_item"


class UnknownItemKeyError(NotFoundError):
    rule = "unknown_item_key"


#: rule name -> exception class
RULES: dict[str, type[PhaselineError]] = {
    "actor_mismatch": ActorMismatchError,
    "actor_not_session": ActorNotSessionError,
    "actor_required": ActorRequiredError,
    "admin_only": AdminOnlyError,
    "argument_required": ArgumentRequiredError,
    "attribute_shape": AttributeShapeError,
    "audit_append_only": AuditAppendOnlyError,
    "batch_size_positive": BatchSizePositiveError,
    "carried_lineage": CarriedLineageError,
    "carry_scope": CarryScopeError,
    "compat_view_read_only": CompatViewReadOnlyError,
    "cycle_period_finite": CyclePeriodFiniteError,
    "cycle_period_ordered": CyclePeriodOrderedError,
    "cycle_period_required": CyclePeriodRequiredError,
    "db_role_mapped": DbRoleMappedError,
    "db_role_superuser": DbRoleSuperuserError,
    "decision_items_references": DecisionItemsReferencesError,
    "decision_note_length": DecisionNoteLengthError,
    "decision_window": DecisionWindowError,
    "decisions_shape": DecisionsShapeError,
    "deletion_not_acceptable": DeletionNotAcceptableError,
    "duplicate_item_key": DuplicateItemKeyError,
    "duplicate_sample_key": DuplicateSampleKeyError,
    "email_is_address": EmailIsAddressError,
    "email_length": EmailLengthError,
    "engine_managed": EngineManagedError,
    "four_eyes": FourEyesError,
    "group_busy": GroupBusyError,
    "illegal_transition": IllegalTransitionError,
    "immutable_column": ImmutableColumnError,
    "inactive_user": InactiveUserError,
    "item_contract": ItemContractError,
    "item_key_length": ItemKeyLengthError,
    "items_shape": ItemsShapeError,
    "json_too_large": JsonTooLargeError,
    "last_admin": LastAdminError,
    "no_delete": NoDeleteError,
    "no_self_deactivation": NoSelfDeactivationError,
    "not_assigned": NotAssignedError,
    "not_reviewer": NotReviewerError,
    "note_required": NoteRequiredError,
    "open_version_exists": OpenVersionExistsError,
    "owner_can_review": OwnerCanReviewError,
    "pending_decisions": PendingDecisionsError,
    "phase_contract": PhaseContractError,
    "phase_contract_malformed": PhaseContractMalformedError,
    "phase_data_shape": PhaseDataShapeError,
    "phase_name_is_plain": PhaseNameIsPlainError,
    "phase_not_completed": PhaseNotCompletedError,
    "phase_ordinal_positive": PhaseOrdinalPositiveError,
    "phase_ordinal_taken": PhaseOrdinalTakenError,
    "phase_status_forward": PhaseStatusForwardError,
    "recommendation_shape": RecommendationShapeError,
    "reports_name_key": ReportsNameKeyError,
    "review_note_required": ReviewNoteRequiredError,
    "role_not_mapped": RoleNotMappedError,
    "sample_decisions_references": SampleDecisionsReferencesError,
    "sample_key_length": SampleKeyLengthError,
    "samples_shape": SamplesShapeError,
    "test_cycles_name_key": TestCyclesNameKeyError,
    "tester_can_test": TesterCanTestError,
    "unknown_actor_binding": UnknownActorBindingError,
    "unknown_artifact_type": UnknownArtifactTypeError,
    "unknown_cycle": UnknownCycleError,
    "unknown_cycle_report": UnknownCycleReportError,
    "unknown_db_role": UnknownDbRoleError,
    "unknown_decision": UnknownDecisionError,
    "unknown_decision_set": UnknownDecisionSetError,
    "unknown_defect": UnknownDefectError,
    "unknown_item": UnknownItemError,
    "unknown_item_key": UnknownItemKeyError,
    "unknown_lock_group": UnknownLockGroupError,
    "unknown_max_json_bytes": UnknownMaxJsonBytesError,
    "unknown_phase": UnknownPhaseError,
    "unknown_report": UnknownReportError,
    "unknown_role": UnknownRoleError,
    "unknown_sample_key": UnknownSampleKeyError,
    "unknown_source": UnknownSourceError,
    "unknown_step": UnknownStepError,
    "unknown_user": UnknownUserError,
    "unknown_version": UnknownVersionError,
    "users_email_key": UsersEmailKeyError,
    "version_frozen": VersionFrozenError,
    "version_not_draft": VersionNotDraftError,
    "viewer_read_only": ViewerReadOnlyError,
}
#: condition name -> SQLSTATE, for the conditions phaseline raises
SQLSTATES: dict[str, str] = {
    "no_data_found": "P0002",
    "invalid_parameter_value": "22023",
    "string_data_right_truncation": "22001",
    "check_violation": "23514",
    "object_not_in_prerequisite_state": "55000",
    "insufficient_privilege": "42501",
    "unique_violation": "23505",
    "foreign_key_violation": "23503",
    "lock_not_available": "55P03",
}
#: SQLSTATE -> exception class, for errors without a known rule (rules named at run time, such as <field>_length)
BY_SQLSTATE: dict[str, type[PhaselineError]] = {
    "P0002": NotFoundError,
    "22023": InvalidArgumentError,
    "22001": TooLongError,
    "23514": ContractError,
    "55000": WrongStateError,
    "42501": NotAllowedError,
    "23505": AlreadyExistsError,
    "23503": DanglingReferenceError,
    "55P03": BusyError,
}


def from_psycopg(exc: psycopg.Error) -> PhaselineError | None:
    """The phaseline exception for a psycopg error, or None when it is not one of phaseline's."""
    diag = exc.diag
    cls = RULES.get(diag.constraint_name or "") or BY_SQLSTATE.get(diag.sqlstate or "")
    if cls is None:
        return None
    return cls(
        diag.message_primary or str(exc),
        sqlstate=diag.sqlstate or "",
        rule=diag.constraint_name,
        detail=diag.message_detail,
        hint=diag.message_hint,
    )
