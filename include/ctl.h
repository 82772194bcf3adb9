/*
 * ctl.h -- liaisonctl's own prototypes, grouped under the file that defines
 * them. What it shares with the daemon is in liaison.h.
 */
#ifndef LIAISON_CTL_H
#define LIAISON_CTL_H

struct config;
struct redisContext;
struct redisReply;

/* ctl.c */
struct config *ctl_config(const char *path);
struct roster *ctl_zone(const struct config *, char **);
struct redisContext *ctl_connect(const struct config *);
struct redisReply *ctl_command(struct redisContext *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* ctl_digest.c */
int ctl_digest(const char *config_path, int argc, char **argv);

/* ctl_ledger.c */
int ctl_ledger_export(const char *config_path, int argc, char **argv);

/* ctl_roster.c */
int ctl_roster_import(int argc, char **argv);
int ctl_roster_export(int argc, char **argv);

/* ctl_visits.c (field work, SPEC §11) */
int ctl_visits_import(const char *config_path, int argc, char **argv);

/* ctl_seed.c (field work, SPEC §11) */
int ctl_seed(const char *config_path, int argc, char **argv);

/* ctl_token.c */
enum ctl_token_form {
	CTL_TOKEN_PLAIN,            /* the token */
	CTL_TOKEN_LINK,             /* --link: a one-time sign-in URL */
	CTL_TOKEN_QR,               /* --qr: that URL and its QR code as text */
	CTL_TOKEN_SVG               /* --svg: its QR code as an SVG document */
};
int ctl_token_issue(const char *config_path, const char *role,
    const char *id, enum ctl_token_form);
int ctl_token_revoke(const char *config_path, const char *token);

#endif /* LIAISON_CTL_H */
