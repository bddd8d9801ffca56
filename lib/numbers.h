/* Numbers spelt as the servers spell them (the C locale's decimal point)
 * whatever the program's locale, which a GUI toolkit's setlocale may have
 * made a comma: for drivers that print or read numbers as text. */
#ifndef AIODB_NUMBERS_H
#define AIODB_NUMBERS_H

#include <locale.h>

/* Switches the calling thread to the C locale's numbers (made once per
 * process; if it could not be, the thread's locale stays). Returns what to
 * give aiodb__numbers_restore(). */
locale_t aiodb__numbers_c(void);
/* Gives the calling thread back the locale aiodb__numbers_c() returned. */
void aiodb__numbers_restore(locale_t old);

#endif
