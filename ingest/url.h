/* url.h — the small amount of URL handling fetch needs, and log redaction.
 *
 * libcurl does the real URL work (parsing for requests, percent-encoding on
 * the wire). What is left is deciding what kind of source a manifest line
 * names, finding the file name at the end of a URL, turning file:// URLs into
 * paths, and making a URL safe to print: credentials in a URL
 * (https://user:password@host/...) or in a query (token=..., signatures of
 * pre-signed object-store URLs) must never reach a log, an index or an error
 * message. */
#ifndef CR_URL_H
#define CR_URL_H

#include <stddef.h>

enum cr_url_kind {
    CR_URL_PATH, /* no scheme: a local path */
    CR_URL_HTTP, /* http:// or https:// */
    CR_URL_FILE, /* file:// */
    CR_URL_OTHER /* any other scheme (refused by the manifest) */
};

enum cr_url_kind cr_url_kind(const char *url);

/* Copy url into out without its userinfo, and with the values of query
 * parameters whose name looks secret (token, key, sig, pass, secret, auth,
 * credential, session) replaced by "REDACTED". Always terminates out. */
void cr_url_redact(const char *url, char *out, size_t size);

/* 1 when the URL carries user[:password]@ before its host. */
int cr_url_has_userinfo(const char *url);

/* Path of a file:// URL (file:///abs or file://localhost/abs), percent-decoded.
 * Returns -1 when url is not such a URL or the result does not fit. */
int cr_file_url_path(const char *url, char *out, size_t size);

/* Last path segment of a URL without query and fragment, percent-decoded;
 * of a plain path, its last component as is. Returns -1 when there is none
 * (a URL or path ending in '/'). */
int cr_url_basename(const char *url, char *out, size_t size);

#endif
