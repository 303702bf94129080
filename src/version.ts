/** The ssg version printed by `ssg --version`. */
export const VERSION = "0.1.0"
