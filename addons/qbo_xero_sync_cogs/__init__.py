from . import adapters, models, wizard
