/* Secrets (passwords) that aiodb keeps: blotted out of error messages
 * (aiodb__err_message), wiped before their memory is freed. */
#ifndef AIODB_SECRET_H
#define AIODB_SECRET_H

/* Overwrites the NUL-terminated s with zeros, then frees it with
 * aiodb__free. NULL is a harmless no-op. */
void aiodb__free_secret(char *s);

#endif
