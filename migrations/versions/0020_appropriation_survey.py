"""appropriation survey: questionnaires, re-check items, answers, the indicators' cache

- the event kind `post_works_survey` becomes `appropriation_survey` (the same questionnaire runs
  before the works and after them);
- `walk.permanent`: a survey whose QR codes stay on street furniture;
- `questionnaire`: a project's items as data (built-in or XLSForm) and the dimensions' weights;
- `recheck_item`: the question asked after the works about one confirmed finding;
- `survey_answer`: one respondent's answers, with the project's phase, zone, time slot and the
  dimensions' scores;
- `indicator_cache`: bootstrap intervals computed by a job, per project and filter.

Revision ID: e1a7c4d2f8b9
Revises: d9f6b3c1e5a7
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e1a7c4d2f8b9"
down_revision = "d9f6b3c1e5a7"
branch_labels = None
depends_on = None

JSONType = sa.JSON(none_as_null=True).with_variant(
    sa.dialects.postgresql.JSONB(none_as_null=True), "postgresql"
)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade():
    op.execute("UPDATE walk SET kind = 'appropriation_survey' WHERE kind = 'post_works_survey'")
    op.add_column(
        "walk", sa.Column("permanent", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "questionnaire",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("weights", JSONType, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _fk("questionnaire", "project_id", "project", "CASCADE"),
        _fk("questionnaire", "created_by_id", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire")),
    )
    op.create_index(op.f("ix_questionnaire_project_id"), "questionnaire", ["project_id"])
    op.create_table(
        "recheck_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("prompt_fr", sa.Text(), nullable=False),
        sa.Column("prompt_en", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        _fk("recheck_item", "questionnaire_id", "questionnaire", "CASCADE"),
        _fk("recheck_item", "finding_id", "finding", "CASCADE"),
        _fk("recheck_item", "zone_id", "zone", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck_item")),
        sa.UniqueConstraint(
            "questionnaire_id", "finding_id", name=op.f("uq_recheck_item_questionnaire_id")
        ),
    )
    op.create_index(op.f("ix_recheck_item_questionnaire_id"), "recheck_item", ["questionnaire_id"])
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("walk_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("time_slot", sa.String(length=20), nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("scores", JSONType, nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        _fk("survey_answer", "participant_id", "participant", "CASCADE"),
        _fk("survey_answer", "walk_id", "walk", "CASCADE"),
        _fk("survey_answer", "questionnaire_id", "questionnaire", "CASCADE"),
        _fk("survey_answer", "zone_id", "zone", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
        sa.UniqueConstraint("uuid", name=op.f("uq_survey_answer_uuid")),
    )
    for column in ("participant_id", "questionnaire_id", "zone_id"):
        op.create_index(op.f(f"ix_survey_answer_{column}"), "survey_answer", [column])
    op.create_table(
        "indicator_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        _fk("indicator_cache", "project_id", "project", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_cache")),
        sa.UniqueConstraint("project_id", "key", name=op.f("uq_indicator_cache_project_id")),
    )


def downgrade():
    op.drop_table("indicator_cache")
    for column in ("participant_id", "questionnaire_id", "zone_id"):
        op.drop_index(op.f(f"ix_survey_answer_{column}"), table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_index(op.f("ix_recheck_item_questionnaire_id"), table_name="recheck_item")
    op.drop_table("recheck_item")
    op.drop_index(op.f("ix_questionnaire_project_id"), table_name="questionnaire")
    op.drop_table("questionnaire")
    # Not a batch rebuild: on SQLite, dropping the old `walk` would delete its participants
    # through the foreign keys. Both databases drop a column in place (SQLite 3.35+).
    op.execute("ALTER TABLE walk DROP COLUMN permanent")
    op.execute("UPDATE walk SET kind = 'post_works_survey' WHERE kind = 'appropriation_survey'")
