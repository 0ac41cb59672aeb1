from libs.platform.migrate import run_env
from services.media.repository.models import metadata

run_env(metadata)
