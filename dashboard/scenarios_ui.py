"""Risk-scenarios widgets: the credit model and generator panels, the scenario controls, the headline.

Heavy objects are cached with ``st.cache_resource`` on fingerprints (shared, never mutated): the
engine (which keeps its baseline), each run (per scenario and settings, so the compare tab never
re-runs a preset the analyst already saw), the fidelity reports and early warning. Generator
training runs in a background thread with a :class:`~core.progress.CancelToken` behind the Stop
button; the page stays usable and a fragment shows its progress.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from core import resolver
from core.data import Dataset
from core.errors import StudioError
from core.formatting import column_label, count, money, number, pct, plain
from core.progress import Cancelled, CancelToken
from core.scenarios import generators
from core.scenarios.engine import ScenarioEngine
from core.scenarios.generator import VAEParams
from core.scenarios.generators import load_generator, stored_generators, train_or_load_generator
from core.scenarios.presets import Presets, Scenario
from core.scenarios.results import ScenarioParams, ScenarioResult
from dashboard import scenarios_charts as charts
from dashboard.shell import show_error

PAGE_EPOCHS = 20
HIDDEN_CHOICES = [128, 192, 256, 512]
CUSTOM = "custom"
_JOBS: dict[str, TrainingJob] = {}
_JOBS_LOCK = threading.Lock()


def current_user():
    try:
        from dashboard.auth import current_user as user  # the signed-in analyst (security module)

        return user()
    except ImportError:
        from core.auth import LOCAL_USER

        return LOCAL_USER


def _key(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


# ---- cached core calls --------------------------------------------------------------------------
@st.cache_resource(show_spinner="Preparing the scenario engine (estimating the satellite model)...", max_entries=4)
def cached_engine(_ds: Dataset, _gen, _model, ds_fp: str, gen_fp: str, model_fp: str) -> ScenarioEngine:
    return ScenarioEngine(_ds, _gen, _model)


@st.cache_resource(show_spinner="Running the scenario...", max_entries=48)
def cached_run(_engine: ScenarioEngine, engine_key: str, scenario_json: str, params_json: str) -> ScenarioResult:
    return _engine.run(Scenario.from_dict(json.loads(scenario_json)), ScenarioParams.from_dict(json.loads(params_json)))


@st.cache_resource(show_spinner="Measuring each driver's effect on this book...", max_entries=4)
def cached_effects(_engine: ScenarioEngine, engine_key: str):
    from core.scenarios.sensitivity import driver_effects

    return driver_effects(_engine)


def engine_key(engine: ScenarioEngine) -> str:
    return _key(engine.fingerprints)


def run(engine: ScenarioEngine, scenario: Scenario, params: ScenarioParams) -> ScenarioResult:
    return cached_run(engine, engine_key(engine), _key(scenario.to_dict()), _key(params.to_dict()))


# ---- the credit model ------------------------------------------------------------------------
def credit_model(ds: Dataset):
    """The current credit model of this dataset (the resolver's answer, the same as the credit page's)."""
    return resolver.credit_model(ds)


def no_credit_model(ds: Dataset) -> None:
    st.info("Scenarios score PD with the credit model, and there is none for this dataset yet. Train one on the "
            "**Credit explanation** page (to choose its settings), or train one with default settings here.",
            icon=":material/model_training:")
    if st.button("Train a credit model with default settings", key="scen_train_credit", icon=":material/play_arrow:"):
        from core.scenarios.scorer import ensure_credit_model

        bar = st.progress(0.0, text="Starting")
        try:
            ensure_credit_model(ds, current_user(), progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            st.rerun()
        except StudioError as exc:
            bar.empty()
            show_error(exc, "Training the credit model failed")


# ---- the generator: background training with a stop button ---------------------------------------
@dataclass
class TrainingJob:
    params: VAEParams
    family: str
    token: CancelToken = field(default_factory=CancelToken)
    fraction: float = 0.0
    message: str = "Starting"
    started: float = field(default_factory=time.time)
    done: bool = False
    fingerprint: str | None = None
    error: str | None = None


def _job_key(ds: Dataset) -> str:
    return f"{ds.fingerprint}:{st.session_state.get('scen_session', id(st.session_state))}"


def _start(ds: Dataset, params: VAEParams, family: str) -> None:
    job = TrainingJob(params, family)
    user = current_user()

    def work() -> None:
        def progress(fraction: float, message: str) -> None:
            job.fraction, job.message = min(max(fraction, 0.0), 1.0), message

        try:
            if family == "gan":
                from core.scenarios.gan import GANParams

                fit_params = GANParams(seed=params.seed)
            else:
                fit_params = params
            gen = train_or_load_generator(ds, fit_params, family, progress=progress, cancel=job.token, user=user)
            resolver.choose(resolver.GENERATOR, ds, gen.fingerprint, user)
            job.fingerprint = gen.fingerprint
        except Cancelled as exc:
            job.error = exc.message
        except StudioError as exc:
            job.error = f"{exc.message} {exc.hint}".strip()
        except Exception as exc:  # the boundary of a background job: a sentence, never a traceback
            job.error = f"Training failed ({type(exc).__name__}: {exc}). Nothing was saved."
        finally:
            job.done = True

    with _JOBS_LOCK:
        _JOBS[_job_key(ds)] = job
    threading.Thread(target=work, name="scenario-generator-training", daemon=True).start()


@st.fragment(run_every=1.0)
def _training_status(ds: Dataset) -> None:
    job = _JOBS.get(_job_key(ds))
    if job is None:
        return
    if job.done:
        with _JOBS_LOCK:
            _JOBS.pop(_job_key(ds), None)
        if job.error:
            st.warning(plain(job.error), icon=":material/stop_circle:")
        else:
            st.rerun(scope="app")
        return
    elapsed = time.time() - job.started
    st.progress(job.fraction, text=f"{job.message} · running {elapsed:,.0f} s")
    if st.button("Stop training", key="scen_stop", icon=":material/stop_circle:"):
        job.token.cancel()
        st.caption("Stopping after the current epoch; nothing will be saved.")


def current_generator(ds: Dataset):
    """The dataset's current generator (:func:`core.scenarios.generators.current_generator`), or ``None``."""
    return generators.current_generator(ds)


def generator_panel(ds: Dataset, gen):
    """Training settings, the train button, progress with a stop button, stored generators, the training curve."""
    training = _job_key(ds) in _JOBS
    with st.expander("Scenario generator", expanded=gen is None or training, icon=":material/neurology:"):
        st.caption("A conditional generator learns the book's joint distribution from its history (every customer-quarter "
                   "over the cycle when there is one). Under a stress it moves the columns that respond to the economy, "
                   "customer by customer.")
        c = st.columns(6)
        family = c[0].selectbox("Generator", ["vae", "gan"], key="scen_family",
                                format_func=lambda f: {"vae": "VAE (arbitrary conditioning)", "gan": "conditional GAN"}[f])
        epochs = c[1].number_input("Max epochs", 1, 500, PAGE_EPOCHS, key="scen_epochs",
                                   help="Training stops earlier when the validation loss stops improving.")
        latent = c[2].selectbox("Latent size", [8, 16, 32], index=1, key="scen_latent")
        hidden = c[3].selectbox("Hidden units", HIDDEN_CHOICES, index=HIDDEN_CHOICES.index(VAEParams.hidden), key="scen_hidden")
        lr = c[4].number_input("Learning rate", 1e-4, 1e-1, VAEParams.lr, 5e-4, format="%.4f", key="scen_lr")
        seed = c[5].number_input("Seed", 0, 2**31 - 1, 42, key="scen_vae_seed")
        params = VAEParams(epochs=int(epochs), latent_dim=int(latent), hidden=int(hidden), lr=float(lr), seed=int(seed))
        if not training and st.button("Train generator", key="scen_train_vae", type="primary", icon=":material/play_arrow:"):
            _start(ds, params, family)
            training = True
        if training:
            _training_status(ds)
        stored = stored_generators(ds)
        if len(stored) > 1:
            labels = {f"{m['family'].upper()} {m['fingerprint']} · trained on {m.get('trained_on', 'the book')}": m["fingerprint"]
                      for m in stored}
            pick = st.selectbox("Stored generators for this dataset", list(labels), key="scen_gen_stored")
            if st.button("Use this generator", key="scen_gen_load"):
                try:
                    resolver.choose(resolver.GENERATOR, ds, labels[pick], current_user())
                    gen = load_generator(labels[pick])
                except StudioError as exc:
                    show_error(exc, "Loading the generator failed")
        if gen is not None:
            h = gen.history_
            if h.train_loss:
                st.plotly_chart(charts.training_curve(h.train_loss, h.valid_loss, h.best_epoch), width="stretch",
                                key="scen_train_curve")
            st.caption(f"{gen.family.upper()} `{gen.fingerprint}` on {count(len(gen.columns))} columns · trained on "
                       f"{h.device} in {number(h.seconds, 1)} s · best epoch {h.best_epoch}"
                       + (" (stopped early)" if h.stopped_early else "") + ".")
    return gen


# ---- scenario controls -------------------------------------------------------------------------
def _apply_preset(presets: Presets) -> None:
    key = st.session_state["scen_preset"]
    if key == CUSTOM:
        return
    s = presets.scenario(key)
    for k in presets.drivers:
        st.session_state[f"scen_shock_{k}"] = float(s.shocks.get(k, 0.0))
    st.session_state["scen_lgd_addon"] = float(s.lgd_downturn_addon)


def _step_format(step: float) -> str:
    """A slider's number with the decimals its step has: -375 bp, 5 pp, 2.5 % (never -375.00)."""
    text = f"{step:.6f}".rstrip("0").rstrip(".")
    return f"%.{len(text.split('.')[1]) if '.' in text else 0}f"


def _sliders_moved(presets: Presets) -> None:
    shocks = {k: float(st.session_state.get(f"scen_shock_{k}", 0.0)) for k in presets.drivers}
    match = presets.match(shocks, float(st.session_state.get("scen_lgd_addon", 0.0)))
    st.session_state["scen_preset"] = match.key if match else CUSTOM


def restore(scenario: Scenario, params: ScenarioParams) -> None:
    """Put a reopened run's scenario and settings back into the widgets (applied on the next run)."""
    st.session_state["scen_pending_restore"] = (scenario.to_dict(), params.to_dict())


def _apply_restore(presets: Presets) -> None:
    pending = st.session_state.pop("scen_pending_restore", None)
    if not pending:
        return
    sc, pa = Scenario.from_dict(pending[0]), ScenarioParams.from_dict(pending[1])
    for k in presets.drivers:
        st.session_state[f"scen_shock_{k}"] = float(sc.shocks.get(k, 0.0))
    st.session_state["scen_lgd_addon"] = float(sc.lgd_downturn_addon)
    match = presets.match(sc.shocks, sc.lgd_downturn_addon)
    st.session_state["scen_preset"] = match.key if match else CUSTOM
    st.session_state["scen_mode"] = pa.mode
    st.session_state["scen_draws"] = pa.n_draws
    st.session_state["scen_seed"] = pa.seed
    if pa.n_rows:
        st.session_state["scen_rows"] = pa.n_rows
    if pa.dependents is not None:
        st.session_state["scen_dependents"] = list(pa.dependents)


def scenario_controls(engine: ScenarioEngine) -> tuple[Scenario, ScenarioParams]:
    presets = engine.presets
    _apply_restore(presets)
    if "scen_preset" not in st.session_state:
        st.session_state["scen_preset"] = "severely_adverse"
        _apply_preset(presets)
    options = [s.key for s in presets.by_severity()] + [CUSTOM]
    left, right = st.columns([2, 3])
    with left:
        key = st.selectbox("Scenario", options, key="scen_preset", on_change=_apply_preset, args=(presets,),
                           format_func=lambda k: "Custom (set by the sliders)" if k == CUSTOM else presets.scenarios[k].name,
                           help="Presets are listed from the mildest to the harshest, as their descriptions say. "
                                "Moving a slider makes the scenario a custom one.")
        preset = presets.scenarios.get(key)
        if preset is not None:
            st.caption(plain(preset.description))
            with st.popover("Sources", icon=":material/menu_book:"):
                for s in preset.sources:
                    st.markdown(f"- **{plain(s['title'])}**" + (f" ([link]({s['url']}))" if s.get("url") else "")
                                + f": {plain(s['note'])}")
    effects = _effects(engine)
    with right:
        shocks = {}
        cols = st.columns(3)
        from core.scenarios.sensitivity import help_text

        for i, (k, d) in enumerate(presets.drivers.items()):
            b = engine.bindings[k]
            note = f"Column: {column_label(b.column) if b.column else 'none in this data'} · channel: {b.channel}. {d.overlay_note}"
            shocks[k] = cols[i % 3].slider(d.label_with_unit(), d.min, d.max, step=d.step, key=f"scen_shock_{k}",
                                           format=_step_format(d.step), on_change=_sliders_moved, args=(presets,),
                                           help=help_text(effects, k, note) if effects is not None else note)
        addon = cols[len(presets.drivers) % 3].slider("LGD downturn add-on (share of exposure)", 0.0, 0.3, step=0.01,
                                                      format="%.2f", key="scen_lgd_addon",
                                                      on_change=_sliders_moved, args=(presets,))
    match = presets.match(shocks, addon)
    scenario = match or presets.custom(shocks, addon, name="Custom")
    if key == CUSTOM:
        st.caption(f"Custom scenario: {plain(scenario.description)}")
    with st.expander("Run settings", icon=":material/settings:"):
        c = st.columns(4)
        mode = c[0].radio("Portfolio", ["stress", "generate"], key="scen_mode", horizontal=True,
                          format_func=lambda m: {"stress": "existing customers", "generate": "generated portfolio"}[m])
        n_rows = c[1].number_input("Generated rows", 1_000, 2_000_000, 100_000, 10_000, key="scen_rows",
                                   disabled=mode == "stress")
        draws = c[2].select_slider("Monte Carlo draws", [1_000, 5_000, 10_000, 50_000, 100_000], 10_000, key="scen_draws")
        seed = c[3].number_input("Seed", 0, 2**31 - 1, 42, key="scen_seed")
        default_deps = engine.dependents(ScenarioParams(seed=int(seed)))
        options_d = [x for x in engine.generator.columns if x not in engine.driver_columns() and x != engine.target]
        if "scen_dependents" not in st.session_state:
            st.session_state["scen_dependents"] = default_deps
        deps = st.multiselect("Columns the generator moves under the stress", options_d, key="scen_dependents",
                              format_func=column_label,
                              help="By default: the columns whose quarterly averages moved with a driver over the book's "
                                   "history, leaving out contract terms and identity attributes.")
    params = ScenarioParams(mode="generate" if mode == "generate" else "stress", n_rows=None if mode == "stress" else int(n_rows), n_draws=int(draws),
                            seed=int(seed), dependents=tuple(deps))
    return scenario, params


def _effects(engine: ScenarioEngine):
    try:
        return cached_effects(engine, engine_key(engine))
    except StudioError:
        return None


def signed_pct(x: float, digits: int = 1) -> str:
    """A relative change with its sign: ``0.125 -> "+12.5%"``."""
    return ("+" if x > 0 else "") + pct(x, digits)


# ---- the headline -------------------------------------------------------------------------------
def headline(r: ScenarioResult) -> None:
    m = r.metrics
    cols = st.columns(5)
    for col, (key, label, fmt) in zip(cols, (
            ("expected_default_rate", "Default rate (expected)", lambda v: pct(v, 2)),
            ("expected_loss", "Expected loss", money), ("el_rate", "EL / exposure", lambda v: pct(v, 2)),
            ("var_999", "VaR 99.9%", money), ("es_99", "Expected shortfall 99%", money)), strict=True):
        b, s = m.loc[key, "baseline"], m.loc[key, "stressed"]
        col.metric(label, fmt(s), delta=f"{signed_pct((s - b) / abs(b))} vs baseline" if b else None, delta_color="inverse")
    band = r.satellite_band
    extra = (f" · expected loss {money(band['expected_loss_low'])} to {money(band['expected_loss_high'])} across the "
             "satellite model's 95% interval" if band else "")
    st.caption(f"{plain(r.scenario.name)}: {plain(r.scenario.description)} · {count(r.timings.get('rows', 0))} exposures · "
               f"{count(r.params.n_draws)} draws · seed {r.params.seed} · ran in {number(r.timings.get('total_s', 0), 2)} s"
               + extra)
    for e in r.extrapolations:
        st.warning(plain(e.message), icon=":material/trending_up:")
