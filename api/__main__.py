"""`python -m api`: serve the content API with the settings from the environment."""

from __future__ import annotations

from functools import partial

from pydantic import ValidationError
from sanic import Sanic
from sanic.worker.loader import AppLoader

from api.app import configure_logging, create_app
from api.settings import Settings


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
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=settings.access_log,
        single_process=single,
        motd=False,
    )
    if single:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
