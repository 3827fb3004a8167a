#pragma once
// placeholder: replaced by the capability negotiation component
