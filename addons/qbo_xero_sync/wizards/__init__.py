# Transient models (wizards) of the addon: one per file.
