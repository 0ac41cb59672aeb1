from libs.platform.migrate import run_env
from services.accounts.repository.models import metadata

run_env(metadata)
