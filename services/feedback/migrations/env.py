from libs.platform.migrate import run_env
from services.feedback.repository.models import metadata

run_env(metadata)
