from libs.platform.migrate import run_env
from services.intake.repository.tables import metadata

run_env(metadata)
