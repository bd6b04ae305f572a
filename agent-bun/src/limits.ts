/**
 * Limits and formats of the agent protocol that the daemon needs at run time. They mirror
 * @redflag/contracts (a test checks they agree): importing the contracts' values would load zod
 * and every schema into the daemon, which doubles its idle memory. Payload types still come from
 * the contracts, and the server validates every payload against the schemas.
 */
export const maxOutputLength = 64 * 1024;
export const agentIdPattern = /^agt_[0-9a-z]{26}$/;
export const commandIdPattern = /^cmd_[0-9a-z]{26}$/;
