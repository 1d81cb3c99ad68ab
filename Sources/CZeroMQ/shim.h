#ifndef WPM_CZEROMQ_SHIM_H
#define WPM_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
