"""The hub's fixed words: priorities, categories, lines, statuses, roles.

Stored as plain strings; the services and the API validate against these tuples.
"""

PRIORITIES = ("P1", "P2", "P3", "P4")
CATEGORIES = ("question", "incident", "problem", "change")

#: The line plan of the seed ("who does what"), lowest first: escalating moves right.
LINES = ("1-general", "1-product", "2-platform", "2-application", "3-application")
LINE_TITLES = {
    "1-general": "1st line, general",
    "1-product": "1st line, product",
    "2-platform": "2nd line, platform",
    "2-application": "2nd line, application",
    "3-application": "3rd line, application",
}

STATUSES = (
    "new",
    "acknowledged",
    "in_progress",
    "waiting_for_client",
    "resolved",
    "closed",
    "reopened",
)
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "waiting_for_client", "reopened")

PERSON_KINDS = ("staff", "associate", "external")
#: Roles a person plays in projects and in the SLA (the seed's Amarant case).
PERSON_ROLES = (
    "sla_manager",
    "project_lead",
    "developer",
    "trainer",
    "platform_provider",
    "first_line",
)
#: Login roles (issue 3 gives them their screens).
USER_ROLES = ("admin", "sla_manager", "associate", "client_viewer")

#: Services from the provider's portfolio that a contract can include.
SERVICES = (
    "helpdesk",
    "incident_management",
    "problem_management",
    "configuration_management",
    "change_management",
    "release_management",
)
PRODUCT_LINES = ("drupal", "joomla", "lamp", "other")

#: The line plan of the design ("who does what"): who serves each line, and an example.
LINE_PLAN = {
    "1-general": ("whoever takes the call at the provider",
                  "registers, classifies, answers simple questions"),
    "1-product": ("staff who know the product line", "how-to questions"),
    "2-platform": ("the hosting (LAMP) provider", "server, PHP, database, mail"),
    "2-application": ("the associate on duty", "bugs, configuration, small changes"),
    "3-application": ("the developer who built the application", "code changes, releases"),
}  # fmt: skip
