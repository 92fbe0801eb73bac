/* SPDX-License-Identifier: MIT */
/* Internal: getaddrinfo off the event loop, so that a connect deadline also
 * bounds name resolution.  Not part of the public API (aeh.h). */
#ifndef AEH_RESOLVE_INT_H
#define AEH_RESOLVE_INT_H

#include <netdb.h>

struct ev_loop;

typedef struct aeh_resolve aeh_resolve;

/* One answer, for one address family.  rc is getaddrinfo's return code;
 * sys_errno is errno when rc is EAI_SYSTEM.  ai (NULL unless rc == 0)
 * belongs to the callee, who frees it with freeaddrinfo. */
typedef void aeh_resolve_cb(void *arg, int family, int rc, int sys_errno, struct addrinfo *ai);

/* Starts one detached resolver thread per family (AF_INET6 and AF_INET for
 * AF_UNSPEC, one thread otherwise).  cb runs on the loop, once per family,
 * never from inside this call.  NULL with errno set (ENOMEM) if nothing could
 * be started; a thread that cannot be created is reported through cb as
 * EAI_SYSTEM. */
aeh_resolve *aeh__resolve_start(struct ev_loop *loop, const char *host, const char *port,
                               int family, aeh_resolve_cb *cb, void *arg);

/* The owner is done: cb is not called again, even for answers already
 * received.  Safe while threads still run (they free their own half when
 * getaddrinfo returns) and from inside cb. */
void aeh__resolve_release(aeh_resolve *r);

#endif
