from libs.platform.migrate import run_env
from services.notify.repository.models import metadata

run_env(metadata)
