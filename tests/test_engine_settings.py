"""DuckDB's compressed materialization is off on every connection the app opens: with it,
models_field_share before any model was active narrowed the province's households
(238.586 on the demo) to a one-byte integer — refused, or silently read as -6."""
import datetime as dt

from dashboard import sandbox, store
from dashboard.access import scope
from dashboard.access.principal import Principal
from dashboard.store import queries

SETTING = "SELECT current_setting('disabled_optimizers')"


def test_field_share_before_any_model_counts_every_household(demo_copy):
    db = store.Database(demo_copy)
    try:
        total = db.scalar("SELECT sum(households) FROM an_commune_coverage(DATE '2023-04-14')")
        first = db.scalar("SELECT min(started_on) FROM models")
        for day in (dt.date(2023, 4, 14), first - dt.timedelta(days=1), first):
            df = queries.run(db, "models_field_share", as_of=day)
            assert (df["households"] == total).all(), (day, df["households"].tolist())
            assert df["households_with_model"].min() >= 0
        # before the first model: no commune has one; on its first day, one field has
        before = queries.run(db, "models_field_share", as_of=first - dt.timedelta(days=1))
        assert (before["communes_with_model"] == 0).all()
        on = queries.run(db, "models_field_share", as_of=first)
        assert on["communes_with_model"].sum() >= 1
    finally:
        db.close()


def test_every_connection_turns_the_optimizer_off(demo_copy):
    db = store.Database(demo_copy)
    try:
        assert "compressed_materialization" in db.scalar(SETTING)
        assert "compressed_materialization" in db.cursor().execute(SETTING).fetchone()[0]
        commune = db.scalar("SELECT min(unit_code) FROM units WHERE level = 'commune'")
        view = scope.database_for(db, Principal("xa", "viewer", (commune,)))
        assert "compressed_materialization" in view.scalar(SETTING)
        box = sandbox.for_database(db)
        assert "compressed_materialization" in box.con.execute(SETTING).fetchone()[0]
    finally:
        sandbox.close_all()
        scope.clear_cache()
        db.close()
