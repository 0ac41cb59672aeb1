from libs.platform.migrate import run_env
from services.media.models import metadata

run_env(metadata)
