"""Who may see and change what: the user a request runs as (principal), roles and scopes."""
