from libs.platform.migrate import run_env
from services.intake.repository.models import metadata

run_env(metadata)
