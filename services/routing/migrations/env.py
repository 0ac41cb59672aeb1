from libs.platform.migrate import run_env
from services.routing.repository.models import metadata

run_env(metadata)
