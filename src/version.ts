/** The dpo version, printed by --version and carried in application_name. */
export const VERSION = "1.0.0";
