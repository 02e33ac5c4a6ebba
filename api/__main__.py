"""`python -m api`: serve the content API with the settings from the environment."""

from __future__ import annotations

import shutil
import tempfile
from functools import partial
from pathlib import Path

from pydantic import ValidationError
from sanic import Sanic
from sanic.worker.loader import AppLoader

from api.app import configure_logging, create_app
from api.settings import Settings
from service_metrics import use_directory


def main() -> None:
    try:
        settings = Settings()  # type: ignore[call-arg]  # the required fields come from the environment
    except ValidationError as error:
        # Each bad variable named, without a traceback: it is the operator's to fix.
        problems = "; ".join(
            f"API_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        raise SystemExit(f"api: invalid settings: {problems}") from None
    configure_logging(settings)
    # Workers are separate processes: each builds its own app (and clients) from the factory.
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    single = settings.workers == 1
    # Workers count into files of a shared directory, which a scrape of any of them adds up.
    metrics_dir = None if single else settings.metrics_dir
    temporary = None
    if not single and metrics_dir is None:
        metrics_dir = temporary = Path(tempfile.mkdtemp(prefix="cinema-api-metrics-"))
    if metrics_dir is not None:
        use_directory(metrics_dir)
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=settings.access_log,
        single_process=single,
        motd=False,
    )
    try:
        if single:
            Sanic.serve_single(primary=app)
        else:
            Sanic.serve(primary=app, app_loader=loader)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
