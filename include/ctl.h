/*
 * ctl.h -- liaisonctl's own prototypes, grouped under the file that defines
 * them. What it shares with the daemon is in liaison.h.
 */
#ifndef LIAISON_CTL_H
#define LIAISON_CTL_H

struct config;
struct redisContext;

/* liaisonctl.c */
struct redisContext *ctl_connect(const struct config *);

/* ctl_digest.c */
int ctl_digest(const char *config_path, int argc, char **argv);

/* ctl_ledger.c */
int ctl_ledger_export(const char *config_path, int argc, char **argv);

/* ctl_roster.c */
int ctl_roster_import(int argc, char **argv);
int ctl_roster_export(int argc, char **argv);

#endif /* LIAISON_CTL_H */
