/* stop.h — cooperative cancellation on SIGINT and SIGTERM.
 *
 * Long loops poll cr_stop_requested() between blocks and return
 * CR_EINTERRUPT after cleaning up (temporary files removed, transaction
 * rolled back), so an operator's Ctrl-C or a scheduler's SIGTERM never leaves
 * a half-written output. The flag is the one piece of state a signal handler
 * may touch, hence process-wide. */
#ifndef CR_STOP_H
#define CR_STOP_H

/* Install handlers for SIGINT and SIGTERM (a second signal kills at once). */
void cr_stop_install(void);
int cr_stop_requested(void);
/* Raise the flag by hand (tests, fault injection). */
void cr_stop_request(void);

#endif
