/**
 * The API's types, generated from the server's OpenAPI document by `npm run api-types`: do not edit.
 * Use them through web/shared/api-schema.ts.
 */
export interface paths {
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (asks for the METRICS_TOKEN as a bearer token when one is configured) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text exposition format */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** 200 while the process is up */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** 200 when the database answers, else 503 */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready";
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "unavailable";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI 3.1 document */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description An OpenAPI 3.1 document */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            [key: string]: unknown;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ping": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who this API key belongs to; reads nothing but the key */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            merchant_id: string;
                            key_id: string | null;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/merchant": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The merchant this key belongs to */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            timezone: string;
                            /** @description Of customer notifications */
                            language: "zh-CN" | "en";
                            capabilities: {
                                /** @description The card types the merchant may create */
                                card_types: string[];
                                /** @description Whether its coupons may be limited to a list of stores */
                                store_limited_cards: boolean;
                            };
                            policy: {
                                min_validity_days: number | null;
                                max_reduce_ratio_percent: number | null;
                                max_percent_off: number | null;
                                require_notice: boolean;
                                allow_no_threshold: boolean;
                                /** @description Fen; 10000000 (¥100,000) unless changed */
                                max_order_amount: number;
                                /** @description 100000000 unless changed */
                                max_points_balance: number;
                                /** @description Fen; 10000000 (¥100,000) unless changed */
                                max_stored_value_balance: number;
                                /** @description Gifts one customer may send per day; 5 unless changed */
                                max_gifts_per_user_day: number;
                            };
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change the merchant name, time zone or the language its customers are told in */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        timezone?: string;
                        /** @description Of customer notifications; zh-CN until changed */
                        language?: "zh-CN" | "en";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            timezone: string;
                            /** @description Of customer notifications */
                            language: "zh-CN" | "en";
                            capabilities: {
                                /** @description The card types the merchant may create */
                                card_types: string[];
                                /** @description Whether its coupons may be limited to a list of stores */
                                store_limited_cards: boolean;
                            };
                            policy: {
                                min_validity_days: number | null;
                                max_reduce_ratio_percent: number | null;
                                max_percent_off: number | null;
                                require_notice: boolean;
                                allow_no_threshold: boolean;
                                /** @description Fen; 10000000 (¥100,000) unless changed */
                                max_order_amount: number;
                                /** @description 100000000 unless changed */
                                max_points_balance: number;
                                /** @description Fen; 10000000 (¥100,000) unless changed */
                                max_stored_value_balance: number;
                                /** @description Gifts one customer may send per day; 5 unless changed */
                                max_gifts_per_user_day: number;
                            };
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/merchant/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The policy: compliance rules cards are checked against, limits on order amounts and balances */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            min_validity_days: number | null;
                            max_reduce_ratio_percent: number | null;
                            max_percent_off: number | null;
                            require_notice: boolean;
                            allow_no_threshold: boolean;
                            /** @description Fen; 10000000 (¥100,000) unless changed */
                            max_order_amount: number;
                            /** @description 100000000 unless changed */
                            max_points_balance: number;
                            /** @description Fen; 10000000 (¥100,000) unless changed */
                            max_stored_value_balance: number;
                            /** @description Gifts one customer may send per day; 5 unless changed */
                            max_gifts_per_user_day: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        /** Change the policy (null switches a compliance rule off; the limits are always on) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        min_validity_days?: number | null;
                        max_reduce_ratio_percent?: number | null;
                        max_percent_off?: number | null;
                        require_notice?: boolean;
                        /** @description Cash coupons without a spend threshold (least_cost) are allowed */
                        allow_no_threshold?: boolean;
                        /** @description The largest order amount in fen a redemption, member order or payment may name; above it 422 order_amount_too_large (1 to 1000000000000) */
                        max_order_amount?: number;
                        /** @description The most points a member may hold; a posting past it is 409 balance_limit_exceeded (1 to 1000000000000) */
                        max_points_balance?: number;
                        /** @description The most stored value in fen a member may hold; a posting past it is 409 balance_limit_exceeded (1 to 1000000000000) */
                        max_stored_value_balance?: number;
                        /** @description The most gifts one customer may send in a day (merchant’s zone); past it 409 gift_not_allowed; 0 switches gifting off (0 to 1000) */
                        max_gifts_per_user_day?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            min_validity_days: number | null;
                            max_reduce_ratio_percent: number | null;
                            max_percent_off: number | null;
                            require_notice: boolean;
                            allow_no_threshold: boolean;
                            /** @description Fen; 10000000 (¥100,000) unless changed */
                            max_order_amount: number;
                            /** @description 100000000 unless changed */
                            max_points_balance: number;
                            /** @description Fen; 10000000 (¥100,000) unless changed */
                            max_stored_value_balance: number;
                            /** @description Gifts one customer may send per day; 5 unless changed */
                            max_gifts_per_user_day: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API keys (never their secrets) */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                name: string;
                                /**
                                 * @description full | redeem (till work) | read
                                 * @enum {unknown}
                                 */
                                scope: "full" | "redeem" | "read";
                                store_id: string | null;
                                /** @description The key’s last four characters, after … */
                                key_hint: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                revoked_at: string | null;
                                expires_at: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Create an API key; the key is shown only in this response */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        scope: "full" | "redeem" | "read";
                        store_id?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            /** @description The key’s last four characters, after … */
                            key_hint: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            revoked_at: string | null;
                            expires_at: string | null;
                            /** @description The key itself: shown only in this answer */
                            api_key: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{key_id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an API key at once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    key_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            /** @description The key’s last four characters, after … */
                            key_hint: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            revoked_at: string | null;
                            expires_at: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{key_id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace a key by a new one with the same scope; the old one keeps working for 24 hours */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    key_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            /** @description The key’s last four characters, after … */
                            key_hint: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            revoked_at: string | null;
                            expires_at: string | null;
                            /** @description The key itself: shown only in this answer */
                            api_key: string;
                            /** @description The key this one replaces, which keeps working for 24 hours */
                            replaces: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stores": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List stores */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                name: string;
                                address: string | null;
                                latitude: number | null;
                                longitude: number | null;
                                timezone: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Create a store */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        address?: string | null;
                        latitude?: number | null;
                        longitude?: number | null;
                        /** @description IANA name; defaults to the merchant’s */
                        timezone?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            address: string | null;
                            latitude: number | null;
                            longitude: number | null;
                            timezone: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stores/{store_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a store */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    store_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            address: string | null;
                            latitude: number | null;
                            longitude: number | null;
                            timezone: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a store */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    store_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        address?: string | null;
                        latitude?: number | null;
                        longitude?: number | null;
                        /** @description IANA name; defaults to the merchant’s */
                        timezone?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            address: string | null;
                            latitude: number | null;
                            longitude: number | null;
                            timezone: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/cards": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List cards, newest last */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description Only cards of this status */
                    status?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分), > 0 */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                    days: number;
                                    /** @description Days after the claim day the term starts; 0 = at the claim */
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                /** @description Empty = every store of the merchant */
                                store_ids: string[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                                status: "draft" | "active" | "paused" | "ended";
                                /** @description Version of the terms; coupons keep the one they were issued under */
                                version: number;
                                /** @description Still to be issued (what `POST …/stock` changes) */
                                stock: number;
                                /** @description The same as `stock` */
                                stock_remaining: number;
                                issued_count: number;
                                get_limit: number;
                                /** @description How the code is shown: qrcode, barcode or text */
                                code_type: "qrcode" | "barcode" | "text";
                                /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                                code_format: "alphanumeric" | "numeric";
                                stock_low_threshold: number | null;
                                remind_days_before: number | null;
                                /** @description Share reward tiers, fewest friends first */
                                share_rewards: {
                                    friends: number;
                                    card_id: string;
                                }[];
                                unlock_after_friends: number | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Create a card (coupon template) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                        title: string;
                        subtitle?: string | null;
                        color?: string | null;
                        logo_url?: string | null;
                        notice?: string;
                        description?: string | null;
                        reduce_cost?: number | null;
                        least_cost?: number | null;
                        tiers?: {
                            /** @description Integer fen (分) */
                            least_cost: number;
                            /** @description Integer fen (分), > 0 */
                            reduce_cost: number;
                        }[] | null;
                        percent_off?: number | null;
                        max_discount?: number | null;
                        gift?: string | null;
                        deal_detail?: string | null;
                        default_detail?: string | null;
                        stock: number;
                        /** @description Coupons per user; 1 when absent at creation */
                        get_limit?: number;
                        /** @description How the code is shown: qrcode, barcode or text */
                        code_type?: "qrcode" | "barcode" | "text";
                        /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                        code_format?: "alphanumeric" | "numeric";
                        validity: {
                            type: "fixed_range" | "fixed_term";
                            /** Format: date-time */
                            begin_at?: string;
                            /** Format: date-time */
                            end_at?: string;
                            days?: number;
                            start_after_days?: number;
                        };
                        usable_hours?: {
                            days: number[];
                            start: string;
                            end: string;
                        }[] | null;
                        store_ids?: string[] | null;
                        can_share?: boolean;
                        can_gift?: boolean;
                        group?: {
                            /** @description Members a group needs, its opener included */
                            size: number;
                            /** @description Hours a group stays open for friends to join */
                            hours: number;
                        } | null;
                        /** @description Create as a draft, not yet issuable */
                        draft?: boolean;
                        stock_low_threshold?: number | null;
                        remind_days_before?: number | null;
                        share_rewards?: {
                            friends: number;
                            card_id: string;
                        }[] | null;
                        unlock_after_friends?: number | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a card with its stock */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a card; changed terms become a new version, issued coupons keep theirs */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title?: string;
                        subtitle?: string | null;
                        color?: string | null;
                        logo_url?: string | null;
                        notice?: string;
                        description?: string | null;
                        reduce_cost?: number | null;
                        least_cost?: number | null;
                        tiers?: {
                            /** @description Integer fen (分) */
                            least_cost: number;
                            /** @description Integer fen (分), > 0 */
                            reduce_cost: number;
                        }[] | null;
                        percent_off?: number | null;
                        max_discount?: number | null;
                        gift?: string | null;
                        deal_detail?: string | null;
                        default_detail?: string | null;
                        /** @description Coupons per user; 1 when absent at creation */
                        get_limit?: number;
                        /** @description How the code is shown: qrcode, barcode or text */
                        code_type?: "qrcode" | "barcode" | "text";
                        /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                        code_format?: "alphanumeric" | "numeric";
                        validity?: {
                            type: "fixed_range" | "fixed_term";
                            /** Format: date-time */
                            begin_at?: string;
                            /** Format: date-time */
                            end_at?: string;
                            days?: number;
                            start_after_days?: number;
                        };
                        usable_hours?: {
                            days: number[];
                            start: string;
                            end: string;
                        }[] | null;
                        store_ids?: string[] | null;
                        can_share?: boolean;
                        can_gift?: boolean;
                        group?: {
                            /** @description Members a group needs, its opener included */
                            size: number;
                            /** @description Hours a group stays open for friends to join */
                            hours: number;
                        } | null;
                        stock_low_threshold?: number | null;
                        remind_days_before?: number | null;
                        share_rewards?: {
                            friends: number;
                            card_id: string;
                        }[] | null;
                        unlock_after_friends?: number | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/cards/{card_id}/stock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add to or take from the stock */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        delta: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}/activate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Activate a card */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause a card */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}/end": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End a card */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string;
                            reduce_cost: number | null;
                            least_cost: number | null;
                            tiers: {
                                /** @description Integer fen (分) */
                                least_cost: number;
                                /** @description Integer fen (分), > 0 */
                                reduce_cost: number;
                            }[] | null;
                            percent_off: number | null;
                            max_discount: number | null;
                            gift: string | null;
                            deal_detail: string | null;
                            default_detail: string | null;
                            description: string | null;
                            validity: {
                                /** @enum {string} */
                                type: "fixed_range";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                begin_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                end_at: string;
                            } | {
                                /** @enum {string} */
                                type: "fixed_term";
                                /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                days: number;
                                /** @description Days after the claim day the term starts; 0 = at the claim */
                                start_after_days: number;
                            };
                            usable_hours: {
                                days: number[];
                                start: string;
                                end: string;
                            }[] | null;
                            /** @description Empty = every store of the merchant */
                            store_ids: string[];
                            can_share: boolean;
                            can_gift: boolean;
                            group: {
                                size: number;
                                hours: number;
                            } | null;
                            status: "draft" | "active" | "paused" | "ended";
                            /** @description Version of the terms; coupons keep the one they were issued under */
                            version: number;
                            /** @description Still to be issued (what `POST …/stock` changes) */
                            stock: number;
                            /** @description The same as `stock` */
                            stock_remaining: number;
                            issued_count: number;
                            get_limit: number;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            /** @description How codes are drawn: alphanumeric (15 Crockford base32 characters, the default) or numeric (20 digits: 19 random, the first not 0, and a check digit), for tills and systems that take digits only. Changing it affects coupons issued afterwards */
                            code_format: "alphanumeric" | "numeric";
                            stock_low_threshold: number | null;
                            remind_days_before: number | null;
                            /** @description Share reward tiers, fewest friends first */
                            share_rewards: {
                                friends: number;
                                card_id: string;
                            }[];
                            unlock_after_friends: number | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}/issue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue a coupon of this card to a user */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The merchant’s own id for its customer (like an openid) */
                        user_id: string;
                        channel?: string | null;
                        campaign?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/coupons/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Look a coupon up by its code, with its holder’s masked wallet contact */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    code: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                            customer_contact: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/coupons/{code}/void": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Void an available coupon */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    code: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/coupons": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user’s coupons with this merchant, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    state?: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                    card_id?: string;
                };
                header?: never;
                path: {
                    /** @description The merchant’s own id for its customer (like an openid) */
                    user_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/redemptions/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Preview what a code would take off an order, without redeeming it */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description As scanned or typed; spaces, hyphens and case are ignored */
                        code: string;
                        store_id?: string | null;
                        order_amount?: number | null;
                        /** @description How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer */
                        channel?: "scan" | "manual" | "api" | "self_service";
                        member_id?: string | null;
                        location?: {
                            latitude: number;
                            longitude: number;
                        } | null;
                        /** @description With `confirm` from a terminal whose clerk may not confirm: the owner or operator confirming, by their sign-in name and password (counted as sign-ins are) */
                        confirmer?: {
                            login: string;
                            password: string;
                        };
                        /** @description The `challenge_id` of a 428 confirmation_required for this code, sent by an owner, an operator or a full key (二次确认) */
                        confirm?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            redeemable: true;
                            code: string;
                            card_id: string;
                            store_id: string | null;
                            order_amount: number | null;
                            /** @description Integer fen (分) */
                            discount_amount: number;
                            coupon: {
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            };
                            card: {
                                type: string;
                                title: string;
                                notice: string;
                                least_cost: number | null;
                                reduce_cost: number | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                            };
                            member?: {
                                id: string;
                                member_number: string;
                                level: string;
                                percent_off: number;
                                member_discount_amount: number | null;
                                paid_amount: number | null;
                                points_to_earn: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/redemptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List redemptions, newest first; a store-bound key or clerk lists its own store’s only */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    store_id?: string;
                    card_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                code: string;
                                coupon_id: string;
                                card_id: string;
                                store_id: string | null;
                                order_amount: number | null;
                                /** @description Integer fen (分) */
                                discount_amount: number;
                                /** @description How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer */
                                channel: "scan" | "manual" | "api" | "self_service";
                                api_key_id: string | null;
                                staff_id: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                redeemed_at: string;
                                reversed_at: string | null;
                                reversal_reason: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Redeem a code, exactly once (send an Idempotency-Key to retry safely) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description As scanned or typed; spaces, hyphens and case are ignored */
                        code: string;
                        store_id?: string | null;
                        order_amount?: number | null;
                        /** @description How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer */
                        channel?: "scan" | "manual" | "api" | "self_service";
                        member_id?: string | null;
                        location?: {
                            latitude: number;
                            longitude: number;
                        } | null;
                        /** @description With `confirm` from a terminal whose clerk may not confirm: the owner or operator confirming, by their sign-in name and password (counted as sign-ins are) */
                        confirmer?: {
                            login: string;
                            password: string;
                        };
                        /** @description The `challenge_id` of a 428 confirmation_required for this code, sent by an owner, an operator or a full key (二次确认) */
                        confirm?: string;
                    };
                };
            };
            responses: {
                /** @description The redemption, with what its member earned when it named one */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            code: string;
                            coupon_id: string;
                            card_id: string;
                            store_id: string | null;
                            order_amount: number | null;
                            /** @description Integer fen (分) */
                            discount_amount: number;
                            /** @description How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer */
                            channel: "scan" | "manual" | "api" | "self_service";
                            api_key_id: string | null;
                            staff_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            redeemed_at: string;
                            reversed_at: string | null;
                            reversal_reason: string | null;
                            member?: {
                                id: string;
                                member_number: string;
                                level: string;
                                /** @description Integer fen (分) */
                                paid_amount: number;
                                points_earned: number;
                                growth_earned: number;
                                points_balance: number;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/redemptions/{redemption_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a redemption */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    redemption_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            code: string;
                            coupon_id: string;
                            card_id: string;
                            store_id: string | null;
                            order_amount: number | null;
                            /** @description Integer fen (分) */
                            discount_amount: number;
                            /** @description How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer */
                            channel: "scan" | "manual" | "api" | "self_service";
                            api_key_id: string | null;
                            staff_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            redeemed_at: string;
                            reversed_at: string | null;
                            reversal_reason: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/redemptions/{redemption_id}/reverse": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reverse a redemption once; the coupon is available again if still valid, else expired */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    redemption_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string | null;
                    };
                };
            };
            responses: {
                /** @description The reversed redemption and its coupon as it now is */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            code: string;
                            coupon_id: string;
                            card_id: string;
                            store_id: string | null;
                            order_amount: number | null;
                            /** @description Integer fen (分) */
                            discount_amount: number;
                            /** @description How the code reached the redemption: scanned or typed at a till, sent by an integration, or by the customer */
                            channel: "scan" | "manual" | "api" | "self_service";
                            api_key_id: string | null;
                            staff_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            redeemed_at: string;
                            reversed_at: string | null;
                            reversal_reason: string | null;
                            coupon: {
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mint a wallet token for one of your users (the same token your backend can sign itself, see docs/wallet-tokens.md) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The merchant’s own id for its customer (like an openid) */
                        user_id: string;
                        /**
                         * @description Lifetime in seconds
                         * @default 3600
                         */
                        ttl_seconds?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Send as `Authorization: Bearer <token>` to the wallet API */
                            token: string;
                            user_id: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet-secret/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace the wallet signing secret; shown only in this response. The previous one keeps verifying for 24 hours */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description The new signing secret; shown only here */
                            secret: string;
                            previous_secret_valid_until: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/otp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a one-time sign-in code to a phone or e-mail address (exactly one) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The merchant whose wallet this is */
                        merchant_id: string;
                        /** @description With or without +country code; mainland mobiles may omit +86 */
                        phone?: string;
                        email?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Send back with the code to sign in */
                            challenge_id: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in with the one-time code: returns a 24-hour wallet token */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The merchant whose wallet this is */
                        merchant_id: string;
                        challenge_id: string;
                        /** @description The 6 digits that were sent */
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Send as `Authorization: Bearer <token>` to the wallet API */
                            token: string;
                            user_id: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}/claim-links": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Make a link (and QR code) through which customers claim a coupon of this card */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        max_claims?: number | null;
                        expires_at?: string | null;
                        for_user_id?: string | null;
                        channel?: string | null;
                        campaign?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            token: string;
                            /** @description The wallet’s claim page for the link */
                            url: string;
                            qr_png_url: string;
                            qr_svg_url: string;
                            status: "active" | "disabled" | "expired" | "exhausted";
                            claimed_count: number;
                            max_claims: number | null;
                            expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            for_user_id: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claim-links": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List claim links, newest last */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    card_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                card_id: string;
                                token: string;
                                /** @description The wallet’s claim page for the link */
                                url: string;
                                qr_png_url: string;
                                qr_svg_url: string;
                                status: "active" | "disabled" | "expired" | "exhausted";
                                claimed_count: number;
                                max_claims: number | null;
                                expires_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                for_user_id: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claim-links/{claim_link_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a claim link with its claim count */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    claim_link_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            token: string;
                            /** @description The wallet’s claim page for the link */
                            url: string;
                            qr_png_url: string;
                            qr_svg_url: string;
                            status: "active" | "disabled" | "expired" | "exhausted";
                            claimed_count: number;
                            max_claims: number | null;
                            expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            for_user_id: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claim-links/{claim_link_id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop a claim link handing out coupons */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    claim_link_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            token: string;
                            /** @description The wallet’s claim page for the link */
                            url: string;
                            qr_png_url: string;
                            qr_svg_url: string;
                            status: "active" | "disabled" | "expired" | "exhausted";
                            claimed_count: number;
                            max_claims: number | null;
                            expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            for_user_id: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claim-links/{token}/qr.png": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The link as a QR code (PNG), public so it can be printed or embedded */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description PNG image (image/png) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claim-links/{token}/qr.svg": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The link as a QR code (SVG), public so it can be printed or embedded */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SVG image (image/svg+xml) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/claim/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the claim page shows: the card, its terms, the merchant, and whether it can still be claimed; counts a view of the card (the wallet token when sent, else the Kabao-Device header, names the viewer) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            status: "active" | "disabled" | "expired" | "exhausted";
                            claimable: boolean;
                            unavailable_reason: ("disabled" | "expired" | "exhausted" | "card_not_active" | "out_of_stock") | null;
                            expires_at: string | null;
                            remaining: number | null;
                            merchant: {
                                id: string;
                                name: string;
                            };
                            card: {
                                id: string;
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分), > 0 */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                    days: number;
                                    /** @description Days after the claim day the term starts; 0 = at the claim */
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                /** @description Empty = every store of the merchant */
                                store_ids: string[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                                usable_hours_text: string | null;
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                                get_limit: number;
                            };
                            sharer: {
                                name: string | null;
                                /** @description The sharer’s wallet phone or e-mail, else user id, masked (`138****0000`, `cu***42`) */
                                masked_id: string;
                            } | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Claim a coupon through the link as the signed-in customer; a member card’s link (card_id mcd_…) joins the member card instead (409 already_member) and answers the membership */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    token: string;
                };
                cookie?: never;
            };
            /** @description Only for a member card’s link: the profile given when joining */
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Only the fields the member card asks for */
                        profile?: {
                            name?: string;
                            phone?: string;
                            /** @description YYYY-MM-DD */
                            birthday?: string;
                            /** @description female, male or other; only when the card asks for it */
                            gender?: string;
                        };
                        /** @description The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field */
                        consent?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分), > 0 */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    /** @description Days of validity, the day of claim (or of the delayed start) being day 1 */
                                    days: number;
                                    /** @description Days after the claim day the term starts; 0 = at the claim */
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                /** @description Empty = every store of the merchant */
                                store_ids: string[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                                usable_hours_text: string | null;
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                            };
                        } | {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card: {
                                id: string;
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string | null;
                                description: string | null;
                                privacy_notice: string | null;
                                levels: {
                                    name: string;
                                    min_growth: number;
                                    percent_off: number;
                                    points_multiplier: number;
                                    perks: string[];
                                    birthday_gift: boolean;
                                }[];
                                profile_fields: {
                                    name: "off" | "optional" | "required";
                                    phone: "off" | "optional" | "required";
                                    birthday: "off" | "optional" | "required";
                                    gender?: "off" | "optional" | "required";
                                };
                                points_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                points_expiry: {
                                    /** @enum {string} */
                                    type: "never";
                                } | {
                                    /** @enum {string} */
                                    type: "end_of_year";
                                    years_after: number;
                                } | {
                                    /** @enum {string} */
                                    type: "days";
                                    days: number;
                                };
                                stored_value: {
                                    enabled: boolean;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                };
                                referral: {
                                    referrer_points: number;
                                    invitee_points: number;
                                    referrer_card_id: string | null;
                                    invitee_card_id: string | null;
                                } | null;
                            };
                            points_expiring: {
                                points: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                expires_at: string;
                            } | null;
                            stored_value: {
                                enabled: boolean;
                                /** @description Integer fen (分) */
                                balance: number;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                                /** @description The latest movements */
                                entries: {
                                    id: string;
                                    type: string;
                                    /** @description Integer fen (分), + in, − out */
                                    delta: number;
                                    reason: string;
                                    payment_ref: string | null;
                                    /** @description Integer fen (分) */
                                    balance_after: number;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    created_at: string;
                                }[];
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in customer and the merchant */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            merchant: {
                                id: string;
                                name: string;
                            };
                            /** @description The signed-in customer’s user id with this merchant */
                            user_id: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/coupons": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My coupons: with state=available soonest-expiring first, otherwise newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    state?: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                card_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                unlock_after_friends: number | null;
                                /** @description How the code is shown: qrcode, barcode or text */
                                code_type: "qrcode" | "barcode" | "text";
                                card: {
                                    type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                    title: string;
                                    subtitle: string | null;
                                    color: string | null;
                                    logo_url: string | null;
                                    reduce_cost: number | null;
                                    least_cost: number | null;
                                    tiers: {
                                        /** @description Integer fen (分) */
                                        least_cost: number;
                                        /** @description Integer fen (分) */
                                        reduce_cost: number;
                                    }[] | null;
                                    percent_off: number | null;
                                    max_discount: number | null;
                                    gift: string | null;
                                    deal_detail: string | null;
                                    default_detail: string | null;
                                };
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/coupons/{coupon_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of my coupons with all its terms and stores (counts a view of its card) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /** Format: date-time */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description Inclusive to the second
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    days: number;
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                usable_hours_text: string | null;
                                store_ids: string[];
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                            };
                            /** @description The card’s link cells (WeChat’s center_url, custom_url, promotion_url); empty for cards without them */
                            links: {
                                kind: "center" | "custom" | "promotion";
                                name: string;
                                tips: string | null;
                                /** @description The merchant’s page, with `encrypt_code` and `card_id` appended (decrypted through the WeChat-compatible card/code/decrypt) */
                                url: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        /**
         * Remove one of my unused coupons from my wallet, irreversibly (it is voided and can no longer be used); again: the same answer
         * @description Available coupons (also before their validity starts) and locked ones can be removed. The coupon reads as `voided` with `voided_by: "holder"`, leaves the wallet list and writes one `coupon.voided` event with `by: "holder"` (WeChat push `user_del_card`).
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /** Format: date-time */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description Inclusive to the second
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    days: number;
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                usable_hours_text: string | null;
                                store_ids: string[];
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                            };
                            /** @description The card’s link cells (WeChat’s center_url, custom_url, promotion_url); empty for cards without them */
                            links: {
                                kind: "center" | "custom" | "promotion";
                                name: string;
                                tips: string | null;
                                /** @description The merchant’s page, with `encrypt_code` and `card_id` appended (decrypted through the WeChat-compatible card/code/decrypt) */
                                url: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/coupons/{coupon_id}/qr.png": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My coupon's code as a QR code (PNG) to show at the till */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description PNG image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/coupons/{coupon_id}/qr.svg": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My coupon's code as a QR code (SVG) to show at the till */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SVG image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/coupons/{coupon_id}/gift": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The pending gift of my coupon, to show its link and QR code again (404 gift_not_found when none) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            gift_id: string;
                            /** @description The secret of the link: whoever has it may accept the gift, once */
                            token: string;
                            /** @description The wallet’s gift page for the receiver */
                            url: string;
                            /** @description The link as a QR code, for a friend in the same room */
                            qr_svg_url: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Give one of my coupons: a link for one friend; the coupon is `gifting` (not redeemable) until accepted, cancelled or returned at expires_at */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description How long the gift waits for its receiver (default 86400, one day); never past the coupon’s own validity */
                        expires_in_seconds?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            gift_id: string;
                            /** @description The secret of the link: whoever has it may accept the gift, once */
                            token: string;
                            /** @description The wallet’s gift page for the receiver */
                            url: string;
                            /** @description The link as a QR code, for a friend in the same room */
                            qr_svg_url: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/coupons/{coupon_id}/gift/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Take my pending gift back: the coupon is available again (409 gift_closed once accepted, cancelled or returned) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    coupon_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /** Format: date-time */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description Inclusive to the second
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    days: number;
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                usable_hours_text: string | null;
                                store_ids: string[];
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/gifts/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the gift page shows before accepting: the coupon’s terms, who gives it, whether it can still be accepted */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description pending until accepted by a receiver, cancelled by the giver, or returned to the giver at expires_at */
                            state: "pending" | "accepted" | "cancelled" | "returned";
                            /** @description Pending and not expired */
                            acceptable: boolean;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                            /** @description Who gives it, masked (their contact or user id) */
                            giver: string;
                            merchant: {
                                id: string;
                                name: string;
                            };
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /** Format: date-time */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description Inclusive to the second
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    days: number;
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                usable_hours_text: string | null;
                                store_ids: string[];
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/gifts/{token}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept a gift as the signed-in customer: my new coupon (a new code, source gift, gifted_by); the giver’s code stops working in the same transaction */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                            code: string;
                            card_id: string;
                            /** @description The card version whose terms the coupon was issued under */
                            card_version_id: string;
                            user_id: string;
                            state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                            /** @description How the coupon reached its owner */
                            source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_from: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            valid_until: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            issued_at: string;
                            redeemed_at: string | null;
                            redemption_id: string | null;
                            voided_at: string | null;
                            voided_by: ("holder" | "merchant") | null;
                            gifted_by: string | null;
                            channel: string | null;
                            campaign: string | null;
                            shared_by: string | null;
                            unlock_after_friends: number | null;
                            /** @description How the code is shown: qrcode, barcode or text */
                            code_type: "qrcode" | "barcode" | "text";
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                                description: string | null;
                                validity: {
                                    /** @enum {string} */
                                    type: "fixed_range";
                                    /** Format: date-time */
                                    begin_at: string;
                                    /**
                                     * Format: date-time
                                     * @description Inclusive to the second
                                     */
                                    end_at: string;
                                } | {
                                    /** @enum {string} */
                                    type: "fixed_term";
                                    days: number;
                                    start_after_days: number;
                                };
                                usable_hours: {
                                    days: number[];
                                    start: string;
                                    end: string;
                                }[] | null;
                                usable_hours_text: string | null;
                                store_ids: string[];
                                /** @description Good in every store of the merchant (then `stores` is empty) */
                                all_stores: boolean;
                                stores: {
                                    id: string;
                                    name: string;
                                    address: string | null;
                                    latitude: number | null;
                                    longitude: number | null;
                                }[];
                                can_share: boolean;
                                can_gift: boolean;
                                group: {
                                    size: number;
                                    hours: number;
                                } | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/gifts/{token}/qr.png": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The gift link as a QR code (PNG): it encodes only the link, which its holder has anyway */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description PNG image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/gifts/{token}/qr.svg": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The gift link as a QR code (SVG): it encodes only the link, which its holder has anyway */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SVG image */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/gifts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit trail of gifts: who gave which coupon to whom, when and how it ended; oldest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description Gifts of this coupon, given or received */
                    coupon_id?: string;
                    /** @description Gifts this user gave or received */
                    user_id?: string;
                    /** @description pending until accepted by a receiver, cancelled by the giver, or returned to the giver at expires_at */
                    state?: "pending" | "accepted" | "cancelled" | "returned";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                card_id: string;
                                /** @description The giver’s coupon (gifted once accepted) */
                                coupon_id: string;
                                giver_user_id: string;
                                /** @description pending until accepted by a receiver, cancelled by the giver, or returned to the giver at expires_at */
                                state: "pending" | "accepted" | "cancelled" | "returned";
                                receiver_user_id: string | null;
                                received_coupon_id: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                expires_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                closed_at: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/gifts/{gift_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One gift of the audit trail */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    gift_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description The giver’s coupon (gifted once accepted) */
                            coupon_id: string;
                            giver_user_id: string;
                            /** @description pending until accepted by a receiver, cancelled by the giver, or returned to the giver at expires_at */
                            state: "pending" | "accepted" | "cancelled" | "returned";
                            receiver_user_id: string | null;
                            received_coupon_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            closed_at: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/cards/{card_id}/share": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Share a card: my share link of it (the same one each time), counted as a share; friends who claim through it count toward the card’s share rewards and my locked coupons */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description The wallet’s claim page of the share link: friends claim there */
                            url: string;
                            /** @description The share link’s token, usable with `/v1/claim/{token}` */
                            token: string;
                            claim_link_id: string;
                            /** @description The link as a QR code, for a friend in the same room */
                            qr_png_url: string;
                            qr_svg_url: string;
                            /** @description Friends who claimed their first coupon of the card through this link so far */
                            friends: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cards/{card_id}/bulk-issue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue a coupon of this card to each user of a list (CSV, NDJSON or JSON)
         * @description Issues one coupon of the card to each user id of an upload, under the same rules as a single issue
         *     (card active, `get_limit` per user, stock), committing a few hundred rows at a time. A row that fails does not
         *     stop the others; the report lists it with its 1-based row number and a code: `get_limit_reached`,
         *     `out_of_stock`, `card_not_active` (the card was paused or ended during the run), `invalid_user_id`
         *     (empty, not a string or longer than 128 characters), `malformed_row` (an NDJSON line that is not JSON),
         *     `idempotency_key_reused` (see below).
         *
         *     **Body**, by Content-Type:
         *     - `text/csv` (or `text/plain`): one user id per line, or a header row with a `user_id` column (other
         *       columns are ignored; without such a header the first column is the user id). Quoted fields, a BOM, CRLF
         *       line ends and blank lines are fine.
         *     - `application/x-ndjson`: one JSON string or `{"user_id": "…"}` per line.
         *     - `application/json`: `{"user_ids": ["…", …]}`, within the usual 1 MiB body limit; or
         *       `{"segment": {"member_card_id": "…", "segment": "at_risk"}}`: the members of a member card's RFM segment
         *       now (see `GET /v1/member-cards/{id}/segments`), in member order.
         *
         *     CSV and NDJSON are read as they arrive, up to 64 MiB, so a list of 100,000 users
         *     and more fits in one call. A CSV that cannot be parsed further answers 400 `malformed_request` saying how many
         *     rows before the fault were processed.
         *
         *     **Retries**: this route does not replay stored responses. Instead, with an `Idempotency-Key`, row N's
         *     coupon is stored with the reference `bulk:<key>:<N>` (unique per merchant), so sending the same upload again
         *     with the same key (after a dropped connection, say) issues only the rows still missing and reports the others
         *     as issued (`already_issued`). A row that the key already issued to a different user fails with
         *     `idempotency_key_reused`: use a new key for a different list.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        user_ids?: unknown[];
                        /** @description Instead of user_ids: the members of this RFM segment now */
                        segment?: {
                            member_card_id: string;
                            /** @description An RFM segment: high_value, potential, at_risk, win_back, loyal, promising, needs_attention, hibernating, no_orders */
                            segment: "high_value" | "potential" | "at_risk" | "win_back" | "loyal" | "promising" | "needs_attention" | "hibernating" | "no_orders";
                        };
                    };
                    /**
                     * @example user_id,name
                     *     u1001,Li Lei
                     *     u1002,Han Meimei
                     */
                    "text/csv": unknown;
                    /**
                     * @example "u1001"
                     *     {"user_id":"u1002"}
                     */
                    "application/x-ndjson": unknown;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            card_id: string;
                            /** @description Data rows read (a header row and blank lines do not count) */
                            total_rows: number;
                            /** @description Rows that have their coupon, including those an earlier send of the same upload issued */
                            issued: number;
                            /** @description Of `issued`, the rows an earlier send with the same Idempotency-Key had issued */
                            already_issued: number;
                            failed: number;
                            stock_remaining: number;
                            /** @description Failed rows by code */
                            failure_counts: {
                                [key: string]: number;
                            };
                            /** @description Failed rows in file order; at most 10000 */
                            failures: {
                                /** @description 1-based data row number */
                                row: number;
                                user_id: string | null;
                                code: string;
                                message: string;
                            }[];
                            /** @description More than 10000 rows failed; only the first are listed */
                            failures_truncated: boolean;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/cards/{card_id}/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open a group (拼团) of a group card as its first member: the group’s coupons are held from stock until it fills or fails */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Members the group needs, its opener included */
                            size: number;
                            /** @description Members so far (never more than size) */
                            members: number;
                            /** @description Members still missing */
                            members_needed: number;
                            /** @description open until it fills (completed) or its time is up (failed: it reads as failed from expires_at on) */
                            state: "open" | "completed" | "failed";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            closed_at: string | null;
                            /** @description The wallet’s group page, to send to friends */
                            url: string;
                            /** @description The signed-in customer is a member */
                            joined: boolean;
                            my_coupon_id: string | null;
                            member_list: {
                                /** @description The member’s id, masked */
                                user: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                opener: boolean;
                                me: boolean;
                            }[];
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/groups/{group_id}/join": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Join a group; the member who fills it completes it and every member is issued one coupon at once (409 group_closed, already_in_group) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Members the group needs, its opener included */
                            size: number;
                            /** @description Members so far (never more than size) */
                            members: number;
                            /** @description Members still missing */
                            members_needed: number;
                            /** @description open until it fills (completed) or its time is up (failed: it reads as failed from expires_at on) */
                            state: "open" | "completed" | "failed";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            closed_at: string | null;
                            /** @description The wallet’s group page, to send to friends */
                            url: string;
                            /** @description The signed-in customer is a member */
                            joined: boolean;
                            my_coupon_id: string | null;
                            member_list: {
                                /** @description The member’s id, masked */
                                user: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                opener: boolean;
                                me: boolean;
                            }[];
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/groups/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A group as its page shows it: progress, deadline, members (masked) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Members the group needs, its opener included */
                            size: number;
                            /** @description Members so far (never more than size) */
                            members: number;
                            /** @description Members still missing */
                            members_needed: number;
                            /** @description open until it fills (completed) or its time is up (failed: it reads as failed from expires_at on) */
                            state: "open" | "completed" | "failed";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            closed_at: string | null;
                            /** @description The wallet’s group page, to send to friends */
                            url: string;
                            /** @description The signed-in customer is a member */
                            joined: boolean;
                            my_coupon_id: string | null;
                            member_list: {
                                /** @description The member’s id, masked */
                                user: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                opener: boolean;
                                me: boolean;
                            }[];
                            card: {
                                type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string;
                                reduce_cost: number | null;
                                least_cost: number | null;
                                tiers: {
                                    /** @description Integer fen (分) */
                                    least_cost: number;
                                    /** @description Integer fen (分) */
                                    reduce_cost: number;
                                }[] | null;
                                percent_off: number | null;
                                max_discount: number | null;
                                gift: string | null;
                                deal_detail: string | null;
                                default_detail: string | null;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My groups, newest first (the latest 50), of one card when given */
        get: {
            parameters: {
                query?: {
                    card_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                card_id: string;
                                /** @description Members the group needs, its opener included */
                                size: number;
                                /** @description Members so far (never more than size) */
                                members: number;
                                /** @description Members still missing */
                                members_needed: number;
                                /** @description open until it fills (completed) or its time is up (failed: it reads as failed from expires_at on) */
                                state: "open" | "completed" | "failed";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                expires_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                closed_at: string | null;
                                /** @description The wallet’s group page, to send to friends */
                                url: string;
                                /** @description The signed-in customer is a member */
                                joined: boolean;
                                my_coupon_id: string | null;
                                member_list: {
                                    /** @description The member’s id, masked */
                                    user: string;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    joined_at: string;
                                    opener: boolean;
                                    me: boolean;
                                }[];
                                card: {
                                    type: "cash" | "discount" | "gift" | "groupon" | "general_coupon";
                                    title: string;
                                    subtitle: string | null;
                                    color: string | null;
                                    logo_url: string | null;
                                    notice: string;
                                    reduce_cost: number | null;
                                    least_cost: number | null;
                                    tiers: {
                                        /** @description Integer fen (分) */
                                        least_cost: number;
                                        /** @description Integer fen (分) */
                                        reduce_cost: number;
                                    }[] | null;
                                    percent_off: number | null;
                                    max_discount: number | null;
                                    gift: string | null;
                                    deal_detail: string | null;
                                    default_detail: string | null;
                                };
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A group with its members and the coupons they got */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    group_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Members the group needs, its opener included */
                            size: number;
                            /** @description Members so far (never more than size) */
                            members: number;
                            /** @description Members still missing */
                            members_needed: number;
                            /** @description open until it fills (completed) or its time is up (failed: it reads as failed from expires_at on) */
                            state: "open" | "completed" | "failed";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            closed_at: string | null;
                            /** @description The wallet’s group page, to send to friends */
                            url: string;
                            opened_by: string;
                            member_list: {
                                user_id: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                coupon_id: string | null;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List member cards, newest last */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                status: "active" | "paused";
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string | null;
                                description: string | null;
                                privacy_notice: string | null;
                                member_number_prefix: string;
                                levels: {
                                    name: string;
                                    min_growth: number;
                                    percent_off: number;
                                    points_multiplier: number;
                                    perks: string[];
                                    birthday_card_id: string | null;
                                }[];
                                profile_fields: {
                                    name: "off" | "optional" | "required";
                                    phone: "off" | "optional" | "required";
                                    birthday: "off" | "optional" | "required";
                                    gender?: "off" | "optional" | "required";
                                };
                                points_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                growth_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                points_expiry: {
                                    /** @enum {string} */
                                    type: "never";
                                } | {
                                    /** @enum {string} */
                                    type: "end_of_year";
                                    years_after: number;
                                } | {
                                    /** @enum {string} */
                                    type: "days";
                                    days: number;
                                };
                                points_expiry_notice_days: number;
                                level_review: "none" | "monthly" | "quarterly" | "half_yearly" | "yearly";
                                stored_value: {
                                    enabled: boolean;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                };
                                referral: {
                                    referrer_points: number;
                                    invitee_points: number;
                                    referrer_card_id: string | null;
                                    invitee_card_id: string | null;
                                } | null;
                                /** @description The wallet page where customers join, to share as a link or a QR code */
                                join_url: string;
                                member_count: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Create a member card: face, up to 5 levels with their benefits, earning, expiry and stored-value rules */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title: string;
                        subtitle?: string | null;
                        color?: string | null;
                        logo_url?: string | null;
                        notice?: string | null;
                        description?: string | null;
                        privacy_notice?: string | null;
                        /** @description Put before the 8-digit member number */
                        member_number_prefix?: string;
                        levels: {
                            name: string;
                            /** @description Growth value that reaches this level; the first level has 0 */
                            min_growth: number;
                            /** @description Percent off at the till for this level (shown in the redemption check) */
                            percent_off?: number;
                            /** @description Points for spending are multiplied by this, e.g. 1.5 (two decimals at most) */
                            points_multiplier?: number;
                            birthday_card_id?: string | null;
                            /** @description Other benefits, in words */
                            perks?: string[];
                        }[];
                        /** @description What the card asks members for: off, optional (when absent; gender: off when absent) or required */
                        profile_fields?: {
                            name?: "off" | "optional" | "required";
                            phone?: "off" | "optional" | "required";
                            birthday?: "off" | "optional" | "required";
                            gender?: "off" | "optional" | "required";
                        };
                        points_rules?: {
                            /** @description Points per ¥1 spent (1 when absent); levels multiply points, not growth */
                            per_yuan?: number;
                            /** @description Points for the daily sign-in (0 when absent) */
                            sign_in?: number;
                            /** @description Points once, when the member has filled every profile field the card asks for */
                            profile_completed?: number;
                            /** @description Points for the referrer when a member they referred joins */
                            referral?: number;
                        };
                        growth_rules?: {
                            /** @description Growth per ¥1 spent (1 when absent); levels multiply points, not growth */
                            per_yuan?: number;
                            /** @description Growth for the daily sign-in (0 when absent) */
                            sign_in?: number;
                            /** @description Growth once, when the member has filled every profile field the card asks for */
                            profile_completed?: number;
                            /** @description Growth for the referrer when a member they referred joins */
                            referral?: number;
                        };
                        points_expiry?: {
                            type: "never" | "end_of_year" | "days";
                            /** @description end_of_year: 0 = the end of the year earned, 1 = the end of the next year (1 when absent) */
                            years_after?: number;
                            /** @description days: expire at the end of day N, the day earned being day 1 */
                            days?: number;
                            /** @description Announce expiring points (points.expiring) this many days ahead (30 when absent, 0 = never) */
                            notice_days?: number;
                        };
                        /** @description When levels are set afresh from the growth of the period just ended (downgrades included); none when absent */
                        level_review?: "none" | "monthly" | "quarterly" | "half_yearly" | "yearly";
                        referral?: {
                            /** @description Points for the member whose invite code a new member joins with (0 when absent) */
                            referrer_points?: number;
                            /** @description Points for the new member who joins with an invite code (0 when absent) */
                            invitee_points?: number;
                            referrer_card_id?: string | null;
                            invitee_card_id?: string | null;
                        } | null;
                        stored_value?: {
                            /** @description Whether the card takes stored value (true when absent) */
                            enabled: boolean;
                            /** @description Published to members with their balance; unspent value refunded in full on request when absent */
                            refund_rule?: {
                                /** @description The published rule, shown to members with their balance */
                                description: string;
                                refundable: boolean;
                                /** @description Kept on a refund, rounded down to the fen (0 when absent) */
                                fee_percent?: number;
                            };
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: "active" | "paused";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string | null;
                            description: string | null;
                            privacy_notice: string | null;
                            member_number_prefix: string;
                            levels: {
                                name: string;
                                min_growth: number;
                                percent_off: number;
                                points_multiplier: number;
                                perks: string[];
                                birthday_card_id: string | null;
                            }[];
                            profile_fields: {
                                name: "off" | "optional" | "required";
                                phone: "off" | "optional" | "required";
                                birthday: "off" | "optional" | "required";
                                gender?: "off" | "optional" | "required";
                            };
                            points_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            growth_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            points_expiry: {
                                /** @enum {string} */
                                type: "never";
                            } | {
                                /** @enum {string} */
                                type: "end_of_year";
                                years_after: number;
                            } | {
                                /** @enum {string} */
                                type: "days";
                                days: number;
                            };
                            points_expiry_notice_days: number;
                            level_review: "none" | "monthly" | "quarterly" | "half_yearly" | "yearly";
                            stored_value: {
                                enabled: boolean;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                            };
                            referral: {
                                referrer_points: number;
                                invitee_points: number;
                                referrer_card_id: string | null;
                                invitee_card_id: string | null;
                            } | null;
                            /** @description The wallet page where customers join, to share as a link or a QR code */
                            join_url: string;
                            member_count: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a member card */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: "active" | "paused";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string | null;
                            description: string | null;
                            privacy_notice: string | null;
                            member_number_prefix: string;
                            levels: {
                                name: string;
                                min_growth: number;
                                percent_off: number;
                                points_multiplier: number;
                                perks: string[];
                                birthday_card_id: string | null;
                            }[];
                            profile_fields: {
                                name: "off" | "optional" | "required";
                                phone: "off" | "optional" | "required";
                                birthday: "off" | "optional" | "required";
                                gender?: "off" | "optional" | "required";
                            };
                            points_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            growth_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            points_expiry: {
                                /** @enum {string} */
                                type: "never";
                            } | {
                                /** @enum {string} */
                                type: "end_of_year";
                                years_after: number;
                            } | {
                                /** @enum {string} */
                                type: "days";
                                days: number;
                            };
                            points_expiry_notice_days: number;
                            level_review: "none" | "monthly" | "quarterly" | "half_yearly" | "yearly";
                            stored_value: {
                                enabled: boolean;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                            };
                            referral: {
                                referrer_points: number;
                                invitee_points: number;
                                referrer_card_id: string | null;
                                invitee_card_id: string | null;
                            } | null;
                            /** @description The wallet page where customers join, to share as a link or a QR code */
                            join_url: string;
                            member_count: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/qr.png": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The join link (`join_url`) as a QR code (PNG), to print or show at the counter */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description PNG image (image/png) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/qr.svg": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The join link (`join_url`) as a QR code (SVG), to print or show at the counter */
        get: {
            parameters: {
                query?: {
                    /** @description Width and height in pixels (64–2048) */
                    size?: number;
                };
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SVG image (image/svg+xml) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop new members joining (members keep everything) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: "active" | "paused";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string | null;
                            description: string | null;
                            privacy_notice: string | null;
                            member_number_prefix: string;
                            levels: {
                                name: string;
                                min_growth: number;
                                percent_off: number;
                                points_multiplier: number;
                                perks: string[];
                                birthday_card_id: string | null;
                            }[];
                            profile_fields: {
                                name: "off" | "optional" | "required";
                                phone: "off" | "optional" | "required";
                                birthday: "off" | "optional" | "required";
                                gender?: "off" | "optional" | "required";
                            };
                            points_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            growth_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            points_expiry: {
                                /** @enum {string} */
                                type: "never";
                            } | {
                                /** @enum {string} */
                                type: "end_of_year";
                                years_after: number;
                            } | {
                                /** @enum {string} */
                                type: "days";
                                days: number;
                            };
                            points_expiry_notice_days: number;
                            level_review: "none" | "monthly" | "quarterly" | "half_yearly" | "yearly";
                            stored_value: {
                                enabled: boolean;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                            };
                            referral: {
                                referrer_points: number;
                                invitee_points: number;
                                referrer_card_id: string | null;
                                invitee_card_id: string | null;
                            } | null;
                            /** @description The wallet page where customers join, to share as a link or a QR code */
                            join_url: string;
                            member_count: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/activate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Take new members again */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: "active" | "paused";
                            title: string;
                            subtitle: string | null;
                            color: string | null;
                            logo_url: string | null;
                            notice: string | null;
                            description: string | null;
                            privacy_notice: string | null;
                            member_number_prefix: string;
                            levels: {
                                name: string;
                                min_growth: number;
                                percent_off: number;
                                points_multiplier: number;
                                perks: string[];
                                birthday_card_id: string | null;
                            }[];
                            profile_fields: {
                                name: "off" | "optional" | "required";
                                phone: "off" | "optional" | "required";
                                birthday: "off" | "optional" | "required";
                                gender?: "off" | "optional" | "required";
                            };
                            points_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            growth_rules: {
                                per_yuan: number;
                                sign_in: number;
                                profile_completed: number;
                                referral: number;
                            };
                            points_expiry: {
                                /** @enum {string} */
                                type: "never";
                            } | {
                                /** @enum {string} */
                                type: "end_of_year";
                                years_after: number;
                            } | {
                                /** @enum {string} */
                                type: "days";
                                days: number;
                            };
                            points_expiry_notice_days: number;
                            level_review: "none" | "monthly" | "quarterly" | "half_yearly" | "yearly";
                            stored_value: {
                                enabled: boolean;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                            };
                            referral: {
                                referrer_points: number;
                                invitee_points: number;
                                referrer_card_id: string | null;
                                invitee_card_id: string | null;
                            } | null;
                            /** @description The wallet page where customers join, to share as a link or a QR code */
                            join_url: string;
                            member_count: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A user joins the member card (once): member number, first level, profile with consent */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The merchant’s own id for its customer (like an openid) */
                        user_id: string;
                        /** @description Only the fields the member card asks for */
                        profile?: {
                            name?: string;
                            phone?: string;
                            /** @description YYYY-MM-DD */
                            birthday?: string;
                            /** @description female, male or other; only when the card asks for it */
                            gender?: string;
                        };
                        /** @description The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field */
                        consent?: boolean;
                        /** @description The member who referred this one; they earn the referral points */
                        referrer_member_id?: string;
                        /** @description A member’s invite code (邀请有礼): both sides get the card’s referral rewards, once. Not one’s own, and a user is invited once (409 invite_not_allowed) */
                        invite_code?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List members, newest last; by member card, user, member number or RFM segment (each scored against its card’s thresholds) */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    member_card_id?: string;
                    user_id?: string;
                    member_number?: string;
                    /** @description An RFM segment: high_value, potential, at_risk, win_back, loyal, promising, needs_attention, hibernating, no_orders */
                    segment?: "high_value" | "potential" | "at_risk" | "win_back" | "loyal" | "promising" | "needs_attention" | "hibernating" | "no_orders";
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a member with level, growth and balances */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Add to or correct the member’s profile (with consent); a completed profile earns its points once */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Only the fields the member card asks for */
                        profile: {
                            name?: string;
                            phone?: string;
                            /** @description YYYY-MM-DD */
                            birthday?: string;
                            /** @description female, male or other; only when the card asks for it */
                            gender?: string;
                        };
                        /** @description The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field */
                        consent?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/members/{member_id}/sign-ins": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The daily sign-in: its points once a day (409 already_signed_in) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            delta: number;
                            points_balance: number;
                            growth: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/member-cards/{member_card_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A member card to join (what a join link opens), and my membership if I have one */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            card: {
                                id: string;
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string | null;
                                description: string | null;
                                privacy_notice: string | null;
                                levels: {
                                    name: string;
                                    min_growth: number;
                                    percent_off: number;
                                    points_multiplier: number;
                                    perks: string[];
                                    birthday_gift: boolean;
                                }[];
                                profile_fields: {
                                    name: "off" | "optional" | "required";
                                    phone: "off" | "optional" | "required";
                                    birthday: "off" | "optional" | "required";
                                    gender?: "off" | "optional" | "required";
                                };
                                points_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                points_expiry: {
                                    /** @enum {string} */
                                    type: "never";
                                } | {
                                    /** @enum {string} */
                                    type: "end_of_year";
                                    years_after: number;
                                } | {
                                    /** @enum {string} */
                                    type: "days";
                                    days: number;
                                };
                                stored_value: {
                                    enabled: boolean;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                };
                                referral: {
                                    referrer_points: number;
                                    invitee_points: number;
                                    referrer_card_id: string | null;
                                    invitee_card_id: string | null;
                                } | null;
                            };
                            member: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                                card: {
                                    id: string;
                                    title: string;
                                    subtitle: string | null;
                                    color: string | null;
                                    logo_url: string | null;
                                    notice: string | null;
                                    description: string | null;
                                    privacy_notice: string | null;
                                    levels: {
                                        name: string;
                                        min_growth: number;
                                        percent_off: number;
                                        points_multiplier: number;
                                        perks: string[];
                                        birthday_gift: boolean;
                                    }[];
                                    profile_fields: {
                                        name: "off" | "optional" | "required";
                                        phone: "off" | "optional" | "required";
                                        birthday: "off" | "optional" | "required";
                                        gender?: "off" | "optional" | "required";
                                    };
                                    points_rules: {
                                        per_yuan: number;
                                        sign_in: number;
                                        profile_completed: number;
                                        referral: number;
                                    };
                                    points_expiry: {
                                        /** @enum {string} */
                                        type: "never";
                                    } | {
                                        /** @enum {string} */
                                        type: "end_of_year";
                                        years_after: number;
                                    } | {
                                        /** @enum {string} */
                                        type: "days";
                                        days: number;
                                    };
                                    stored_value: {
                                        enabled: boolean;
                                        refund_rule: {
                                            description: string;
                                            refundable: boolean;
                                            fee_percent: number;
                                        } | null;
                                    };
                                    referral: {
                                        referrer_points: number;
                                        invitee_points: number;
                                        referrer_card_id: string | null;
                                        invitee_card_id: string | null;
                                    } | null;
                                };
                                points_expiring: {
                                    points: number;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    expires_at: string;
                                } | null;
                                stored_value: {
                                    enabled: boolean;
                                    /** @description Integer fen (分) */
                                    balance: number;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                    /** @description The latest movements */
                                    entries: {
                                        id: string;
                                        type: string;
                                        /** @description Integer fen (分), + in, − out */
                                        delta: number;
                                        reason: string;
                                        payment_ref: string | null;
                                        /** @description Integer fen (分) */
                                        balance_after: number;
                                        /**
                                         * Format: date-time
                                         * @description ISO 8601 with offset
                                         */
                                        created_at: string;
                                    }[];
                                };
                            } | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/member-cards/{member_card_id}/join": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Join the member card as the signed-in customer (409 already_member) */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description The wallet’s device id (random, kept by the wallet) */
                    "kabao-device"?: string;
                };
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Only the fields the member card asks for */
                        profile?: {
                            name?: string;
                            phone?: string;
                            /** @description YYYY-MM-DD */
                            birthday?: string;
                            /** @description female, male or other; only when the card asks for it */
                            gender?: string;
                        };
                        /** @description The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field */
                        consent?: boolean;
                        /** @description The member who referred this one; they earn the referral points */
                        referrer_member_id?: string;
                        /** @description A member’s invite code (邀请有礼): both sides get the card’s referral rewards, once. Not one’s own, and a user is invited once (409 invite_not_allowed) */
                        invite_code?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card: {
                                id: string;
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string | null;
                                description: string | null;
                                privacy_notice: string | null;
                                levels: {
                                    name: string;
                                    min_growth: number;
                                    percent_off: number;
                                    points_multiplier: number;
                                    perks: string[];
                                    birthday_gift: boolean;
                                }[];
                                profile_fields: {
                                    name: "off" | "optional" | "required";
                                    phone: "off" | "optional" | "required";
                                    birthday: "off" | "optional" | "required";
                                    gender?: "off" | "optional" | "required";
                                };
                                points_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                points_expiry: {
                                    /** @enum {string} */
                                    type: "never";
                                } | {
                                    /** @enum {string} */
                                    type: "end_of_year";
                                    years_after: number;
                                } | {
                                    /** @enum {string} */
                                    type: "days";
                                    days: number;
                                };
                                stored_value: {
                                    enabled: boolean;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                };
                                referral: {
                                    referrer_points: number;
                                    invitee_points: number;
                                    referrer_card_id: string | null;
                                    invitee_card_id: string | null;
                                } | null;
                            };
                            points_expiring: {
                                points: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                expires_at: string;
                            } | null;
                            stored_value: {
                                enabled: boolean;
                                /** @description Integer fen (分) */
                                balance: number;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                                /** @description The latest movements */
                                entries: {
                                    id: string;
                                    type: string;
                                    /** @description Integer fen (分), + in, − out */
                                    delta: number;
                                    reason: string;
                                    payment_ref: string | null;
                                    /** @description Integer fen (分) */
                                    balance_after: number;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    created_at: string;
                                }[];
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My memberships with this merchant, oldest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                                card: {
                                    id: string;
                                    title: string;
                                    subtitle: string | null;
                                    color: string | null;
                                    logo_url: string | null;
                                    notice: string | null;
                                    description: string | null;
                                    privacy_notice: string | null;
                                    levels: {
                                        name: string;
                                        min_growth: number;
                                        percent_off: number;
                                        points_multiplier: number;
                                        perks: string[];
                                        birthday_gift: boolean;
                                    }[];
                                    profile_fields: {
                                        name: "off" | "optional" | "required";
                                        phone: "off" | "optional" | "required";
                                        birthday: "off" | "optional" | "required";
                                        gender?: "off" | "optional" | "required";
                                    };
                                    points_rules: {
                                        per_yuan: number;
                                        sign_in: number;
                                        profile_completed: number;
                                        referral: number;
                                    };
                                    points_expiry: {
                                        /** @enum {string} */
                                        type: "never";
                                    } | {
                                        /** @enum {string} */
                                        type: "end_of_year";
                                        years_after: number;
                                    } | {
                                        /** @enum {string} */
                                        type: "days";
                                        days: number;
                                    };
                                    stored_value: {
                                        enabled: boolean;
                                        refund_rule: {
                                            description: string;
                                            refundable: boolean;
                                            fee_percent: number;
                                        } | null;
                                    };
                                    referral: {
                                        referrer_points: number;
                                        invitee_points: number;
                                        referrer_card_id: string | null;
                                        invitee_card_id: string | null;
                                    } | null;
                                };
                                points_expiring: {
                                    points: number;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    expires_at: string;
                                } | null;
                                stored_value: {
                                    enabled: boolean;
                                    /** @description Integer fen (分) */
                                    balance: number;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                    /** @description The latest movements */
                                    entries: {
                                        id: string;
                                        type: string;
                                        /** @description Integer fen (分), + in, − out */
                                        delta: number;
                                        reason: string;
                                        payment_ref: string | null;
                                        /** @description Integer fen (分) */
                                        balance_after: number;
                                        /**
                                         * Format: date-time
                                         * @description ISO 8601 with offset
                                         */
                                        created_at: string;
                                    }[];
                                };
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members/{member_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of my memberships */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card: {
                                id: string;
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string | null;
                                description: string | null;
                                privacy_notice: string | null;
                                levels: {
                                    name: string;
                                    min_growth: number;
                                    percent_off: number;
                                    points_multiplier: number;
                                    perks: string[];
                                    birthday_gift: boolean;
                                }[];
                                profile_fields: {
                                    name: "off" | "optional" | "required";
                                    phone: "off" | "optional" | "required";
                                    birthday: "off" | "optional" | "required";
                                    gender?: "off" | "optional" | "required";
                                };
                                points_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                points_expiry: {
                                    /** @enum {string} */
                                    type: "never";
                                } | {
                                    /** @enum {string} */
                                    type: "end_of_year";
                                    years_after: number;
                                } | {
                                    /** @enum {string} */
                                    type: "days";
                                    days: number;
                                };
                                stored_value: {
                                    enabled: boolean;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                };
                                referral: {
                                    referrer_points: number;
                                    invitee_points: number;
                                    referrer_card_id: string | null;
                                    invitee_card_id: string | null;
                                } | null;
                            };
                            points_expiring: {
                                points: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                expires_at: string;
                            } | null;
                            stored_value: {
                                enabled: boolean;
                                /** @description Integer fen (分) */
                                balance: number;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                                /** @description The latest movements */
                                entries: {
                                    id: string;
                                    type: string;
                                    /** @description Integer fen (分), + in, − out */
                                    delta: number;
                                    reason: string;
                                    payment_ref: string | null;
                                    /** @description Integer fen (分) */
                                    balance_after: number;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    created_at: string;
                                }[];
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Fill in or correct my profile, with my consent */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Only the fields the member card asks for */
                        profile: {
                            name?: string;
                            phone?: string;
                            /** @description YYYY-MM-DD */
                            birthday?: string;
                            /** @description female, male or other; only when the card asks for it */
                            gender?: string;
                        };
                        /** @description The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field */
                        consent?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            user_id: string;
                            member_number: string;
                            /** @description The level’s name */
                            level: string;
                            level_index: number;
                            level_benefits: {
                                percent_off: number;
                                points_multiplier: number;
                                birthday_gift: boolean;
                                perks: string[];
                            };
                            next_level: {
                                name: string;
                                min_growth: number;
                                growth_needed: number;
                            } | null;
                            growth: number;
                            points_balance: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                            profile: {
                                name?: string;
                                phone?: string;
                                birthday?: string;
                                gender?: string;
                            };
                            consented_at: string | null;
                            referrer_member_id: string | null;
                            next_review_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            joined_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            level_changed_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card: {
                                id: string;
                                title: string;
                                subtitle: string | null;
                                color: string | null;
                                logo_url: string | null;
                                notice: string | null;
                                description: string | null;
                                privacy_notice: string | null;
                                levels: {
                                    name: string;
                                    min_growth: number;
                                    percent_off: number;
                                    points_multiplier: number;
                                    perks: string[];
                                    birthday_gift: boolean;
                                }[];
                                profile_fields: {
                                    name: "off" | "optional" | "required";
                                    phone: "off" | "optional" | "required";
                                    birthday: "off" | "optional" | "required";
                                    gender?: "off" | "optional" | "required";
                                };
                                points_rules: {
                                    per_yuan: number;
                                    sign_in: number;
                                    profile_completed: number;
                                    referral: number;
                                };
                                points_expiry: {
                                    /** @enum {string} */
                                    type: "never";
                                } | {
                                    /** @enum {string} */
                                    type: "end_of_year";
                                    years_after: number;
                                } | {
                                    /** @enum {string} */
                                    type: "days";
                                    days: number;
                                };
                                stored_value: {
                                    enabled: boolean;
                                    refund_rule: {
                                        description: string;
                                        refundable: boolean;
                                        fee_percent: number;
                                    } | null;
                                };
                                referral: {
                                    referrer_points: number;
                                    invitee_points: number;
                                    referrer_card_id: string | null;
                                    invitee_card_id: string | null;
                                } | null;
                            };
                            points_expiring: {
                                points: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                expires_at: string;
                            } | null;
                            stored_value: {
                                enabled: boolean;
                                /** @description Integer fen (分) */
                                balance: number;
                                refund_rule: {
                                    description: string;
                                    refundable: boolean;
                                    fee_percent: number;
                                } | null;
                                /** @description The latest movements */
                                entries: {
                                    id: string;
                                    type: string;
                                    /** @description Integer fen (分), + in, − out */
                                    delta: number;
                                    reason: string;
                                    payment_ref: string | null;
                                    /** @description Integer fen (分) */
                                    balance_after: number;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    created_at: string;
                                }[];
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/wallet/members/{member_id}/points": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My points ledger, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                type: string;
                                delta: number;
                                reason: string;
                                balance_after: number;
                                source_ref: string | null;
                                expires_at: string | null;
                                remaining: number | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members/{member_id}/stored-value": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every movement of my stored value, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                type: string;
                                /** @description Integer fen (分), + in, − out */
                                delta: number;
                                reason: string;
                                payment_ref: string | null;
                                /** @description Integer fen (分) */
                                balance_after: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members/{member_id}/sign-in": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in for today’s points (409 already_signed_in) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            delta: number;
                            points_balance: number;
                            growth: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members/{member_id}/rewards": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The rewards my points can buy (积分商城) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                member_card_id: string;
                                type: "coupon" | "goods";
                                title: string;
                                description: string | null;
                                points_cost: number;
                                /** @description The stock left (the same as stock_remaining) */
                                stock: number;
                                stock_remaining: number;
                                per_member_limit: number | null;
                                status: "active" | "paused";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                                /** @description The member has the points and the reward has stock */
                                affordable: boolean;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members/{member_id}/exchanges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Exchange my points for a reward */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reward_id: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            reward_id: string;
                            member_id: string;
                            points_cost: number;
                            coupon_id: string | null;
                            pickup_code: string | null;
                            picked_up_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            coupon: {
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            } | null;
                            points_balance: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}/points": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The member’s points ledger, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                /**
                                 * @description Why the points moved
                                 * @enum {unknown}
                                 */
                                type: "purchase" | "sign_in" | "profile_completed" | "referral" | "adjustment" | "exchange" | "expiry" | "refund";
                                /** @description + earned, − burned */
                                delta: number;
                                reason: string;
                                balance_after: number;
                                source_ref: string | null;
                                expires_at: string | null;
                                remaining: number | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Adjust points with a reason: + adds, − burns the oldest points (409 insufficient_points beyond the balance, 409 balance_limit_exceeded past the policy’s max_points_balance) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Non-zero */
                        delta: number;
                        reason: string;
                        /** @description Your reference of the event; it posts once (a repeat returns the first entry with 200) */
                        source_ref?: string;
                    };
                };
            };
            responses: {
                /** @description The source_ref had already posted: its first entry, nothing moved */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            /** @description + added, − taken */
                            delta: number;
                            points_balance: number;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            /** @description + added, − taken */
                            delta: number;
                            points_balance: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}/stored-value": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The member’s stored-value ledger, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                /**
                                 * @description Why the stored value moved
                                 * @enum {unknown}
                                 */
                                type: "top_up" | "payment" | "order_refund" | "refund" | "adjustment";
                                /** @description Fen: + added, − taken */
                                delta: number;
                                reason: string;
                                payment_ref: string | null;
                                /** @description Integer fen (分) */
                                balance_after: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Top up (+, with the payment reference) or pay with (−) stored value; 409 insufficient_balance beyond the balance, 409 balance_limit_exceeded past the policy’s max_stored_value_balance */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Fen, non-zero */
                        delta: number;
                        reason: string;
                        /** @description The payment behind a top-up; it tops up once (a repeat returns the first entry with 200) */
                        payment_ref?: string | null;
                    };
                };
            };
            responses: {
                /** @description The payment_ref had already topped up: its first entry, nothing moved */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            /** @description + added, − taken */
                            delta: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            /** @description + added, − taken */
                            delta: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}/stored-value/refunds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pay unspent stored value back under the card’s published refund rule (the whole balance when amount is absent) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Integer fen (分), > 0 */
                        amount?: number;
                        reason: string;
                        /** @description The payout’s reference; it refunds once */
                        payment_ref?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entry_id: string;
                            /** @description Integer fen (分) */
                            amount: number;
                            /** @description Integer fen (分) */
                            fee: number;
                            /** @description Integer fen (分) */
                            payout: number;
                            /** @description Integer fen (分) */
                            stored_value_balance: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}/orders": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record a member’s purchase at the till: points and growth for order_amount, optionally paid with stored value */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Your id of the order; an order is recorded once */
                        order_ref: string;
                        /** @description What the member paid, in fen: points and growth are earned on it. At most the merchant’s policy max_order_amount (¥100,000 unless changed): above it 422 order_amount_too_large */
                        order_amount: number;
                        /** @description Fen of the order paid from stored value */
                        stored_value_amount?: number;
                        store_id?: string | null;
                    };
                };
            };
            responses: {
                /** @description The order_ref was already recorded: the first order, nothing moved */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            order_ref: string;
                            member_id: string;
                            store_id: string | null;
                            redemption_id: string | null;
                            /** @description Integer fen (分) */
                            order_amount: number;
                            /** @description Integer fen (分) */
                            stored_value_amount: number;
                            /** @description Integer fen (分) */
                            refunded_amount: number;
                            points_earned: number;
                            points_reversed: number;
                            /** @description Points refunds should have taken back but the member had already spent */
                            points_unrecovered: number;
                            growth_earned: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            member: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            order_ref: string;
                            member_id: string;
                            store_id: string | null;
                            redemption_id: string | null;
                            /** @description Integer fen (分) */
                            order_amount: number;
                            /** @description Integer fen (分) */
                            stored_value_amount: number;
                            /** @description Integer fen (分) */
                            refunded_amount: number;
                            points_earned: number;
                            points_reversed: number;
                            /** @description Points refunds should have taken back but the member had already spent */
                            points_unrecovered: number;
                            growth_earned: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            member: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}/orders/{order_ref}/refunds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Refund an order, in part or whole: its points and growth are taken back in proportion, its stored value returned */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                    /** @description Your id of the order; an order is recorded once */
                    order_ref: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Your id of the refund; a refund is made once */
                        refund_ref: string;
                        /** @description Integer fen (分), > 0 */
                        amount?: number;
                    };
                };
            };
            responses: {
                /** @description The refund_ref was already refunded: the first refund, nothing moved */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            refund_ref: string;
                            /** @description Integer fen (分) */
                            amount: number;
                            points_reversed: number;
                            points_unrecovered: number;
                            growth_reversed: number;
                            /** @description Integer fen (分) */
                            stored_value_returned: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            order: {
                                id: string;
                                order_ref: string;
                                member_id: string;
                                store_id: string | null;
                                redemption_id: string | null;
                                /** @description Integer fen (分) */
                                order_amount: number;
                                /** @description Integer fen (分) */
                                stored_value_amount: number;
                                /** @description Integer fen (分) */
                                refunded_amount: number;
                                points_earned: number;
                                points_reversed: number;
                                /** @description Points refunds should have taken back but the member had already spent */
                                points_unrecovered: number;
                                growth_earned: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            };
                            member: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            refund_ref: string;
                            /** @description Integer fen (分) */
                            amount: number;
                            points_reversed: number;
                            points_unrecovered: number;
                            growth_reversed: number;
                            /** @description Integer fen (分) */
                            stored_value_returned: number;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            order: {
                                id: string;
                                order_ref: string;
                                member_id: string;
                                store_id: string | null;
                                redemption_id: string | null;
                                /** @description Integer fen (分) */
                                order_amount: number;
                                /** @description Integer fen (分) */
                                stored_value_amount: number;
                                /** @description Integer fen (分) */
                                refunded_amount: number;
                                points_earned: number;
                                points_reversed: number;
                                /** @description Points refunds should have taken back but the member had already spent */
                                points_unrecovered: number;
                                growth_earned: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            };
                            member: {
                                id: string;
                                member_card_id: string;
                                user_id: string;
                                member_number: string;
                                /** @description The level’s name */
                                level: string;
                                level_index: number;
                                level_benefits: {
                                    percent_off: number;
                                    points_multiplier: number;
                                    birthday_gift: boolean;
                                    perks: string[];
                                };
                                next_level: {
                                    name: string;
                                    min_growth: number;
                                    growth_needed: number;
                                } | null;
                                growth: number;
                                points_balance: number;
                                /** @description Integer fen (分) */
                                stored_value_balance: number;
                                profile: {
                                    name?: string;
                                    phone?: string;
                                    birthday?: string;
                                    gender?: string;
                                };
                                consented_at: string | null;
                                referrer_member_id: string | null;
                                next_review_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                joined_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                level_changed_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            };
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rewards": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List rewards, newest last */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    member_card_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                member_card_id: string;
                                type: "coupon" | "goods";
                                title: string;
                                description: string | null;
                                points_cost: number;
                                /** @description The stock left (the same as stock_remaining) */
                                stock: number;
                                stock_remaining: number;
                                per_member_limit: number | null;
                                status: "active" | "paused";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                                card_id: string | null;
                                exchanged_count: number;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Add a reward to a member card’s catalogue: a coupon of one of your cards (card_id) or goods (type goods, title) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        member_card_id: string;
                        /** @description coupon when card_id is given, else goods */
                        type?: "coupon" | "goods";
                        card_id?: string | null;
                        /** @description The card’s title for a coupon when absent */
                        title?: string;
                        description?: string | null;
                        points_cost: number;
                        stock: number;
                        per_member_limit?: number | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            type: "coupon" | "goods";
                            title: string;
                            description: string | null;
                            points_cost: number;
                            /** @description The stock left (the same as stock_remaining) */
                            stock: number;
                            stock_remaining: number;
                            per_member_limit: number | null;
                            status: "active" | "paused";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card_id: string | null;
                            exchanged_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rewards/{reward_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a reward with its stock */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    reward_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            type: "coupon" | "goods";
                            title: string;
                            description: string | null;
                            points_cost: number;
                            /** @description The stock left (the same as stock_remaining) */
                            stock: number;
                            stock_remaining: number;
                            per_member_limit: number | null;
                            status: "active" | "paused";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card_id: string | null;
                            exchanged_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rewards/{reward_id}/stock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add to or take from a reward’s stock */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    reward_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        delta: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            type: "coupon" | "goods";
                            title: string;
                            description: string | null;
                            points_cost: number;
                            /** @description The stock left (the same as stock_remaining) */
                            stock: number;
                            stock_remaining: number;
                            per_member_limit: number | null;
                            status: "active" | "paused";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card_id: string | null;
                            exchanged_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rewards/{reward_id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop exchanges of a reward */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    reward_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            type: "coupon" | "goods";
                            title: string;
                            description: string | null;
                            points_cost: number;
                            /** @description The stock left (the same as stock_remaining) */
                            stock: number;
                            stock_remaining: number;
                            per_member_limit: number | null;
                            status: "active" | "paused";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card_id: string | null;
                            exchanged_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/rewards/{reward_id}/activate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Restart exchanges of a reward */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    reward_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            member_card_id: string;
                            type: "coupon" | "goods";
                            title: string;
                            description: string | null;
                            points_cost: number;
                            /** @description The stock left (the same as stock_remaining) */
                            stock: number;
                            stock_remaining: number;
                            per_member_limit: number | null;
                            status: "active" | "paused";
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            card_id: string | null;
                            exchanged_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/members/{member_id}/exchanges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A member’s exchanges, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                reward_id: string;
                                member_id: string;
                                points_cost: number;
                                coupon_id: string | null;
                                pickup_code: string | null;
                                picked_up_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Exchange points for a reward: points burned and coupon issued together, or neither (409 insufficient_points, out_of_stock) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reward_id: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            reward_id: string;
                            member_id: string;
                            points_cost: number;
                            coupon_id: string | null;
                            pickup_code: string | null;
                            picked_up_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            coupon: {
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            } | null;
                            points_balance: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reward-exchanges/pick-up": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Hand goods over against their pick-up code, once (409 already_picked_up) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        pickup_code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            reward_id: string;
                            member_id: string;
                            points_cost: number;
                            coupon_id: string | null;
                            pickup_code: string | null;
                            picked_up_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/members/{member_id}/invite": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My invite code and link for one of my memberships (邀请有礼); the same every time */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description The member’s invite code: a friend joining the member card with it (`invite_code`) rewards both sides once */
                            code: string;
                            /** @description The member card’s join page carrying the code, to share as a link or QR code */
                            url: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Events for reconciliation, oldest first; those after `since` when given */
        get: {
            parameters: {
                query?: {
                    type?: string;
                    /** @description An event id: only later events are listed */
                    since?: string;
                    /** @description The previous page’s next_cursor (the same as since) */
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                type: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                merchant_id: string;
                                /** @description What happened; its shape depends on the type */
                                data: {
                                    [key: string]: unknown;
                                };
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The webhook endpoints, oldest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                url: string;
                                events: string[];
                                description: string | null;
                                /** @enum {unknown} */
                                status: "enabled" | "disabled";
                                disabled_code: ("gone" | "failing" | "manual") | null;
                                disabled_reason: string | null;
                                disabled_at: string | null;
                                failing_since: string | null;
                                last_success_at: string | null;
                                previous_secret_expires_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Register a webhook endpoint; its signing secret is shown only in this answer */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Where deliveries are POSTed: an absolute http(s) URL; a private or internal address is refused (422 webhook_url_not_allowed) where the server is set to refuse them */
                        url: string;
                        /** @description Event types to receive: exact (`coupon.redeemed`), a family (`coupon.*`) or `*` for all; all when absent */
                        events?: string[];
                        description?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            events: string[];
                            description: string | null;
                            /** @enum {unknown} */
                            status: "enabled" | "disabled";
                            disabled_code: ("gone" | "failing" | "manual") | null;
                            disabled_reason: string | null;
                            disabled_at: string | null;
                            failing_since: string | null;
                            last_success_at: string | null;
                            previous_secret_expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            /** @description The signing secret (whsec_…): shown only in this answer */
                            secret: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A webhook endpoint and its health */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            events: string[];
                            description: string | null;
                            /** @enum {unknown} */
                            status: "enabled" | "disabled";
                            disabled_code: ("gone" | "failing" | "manual") | null;
                            disabled_reason: string | null;
                            disabled_at: string | null;
                            failing_since: string | null;
                            last_success_at: string | null;
                            previous_secret_expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        /** Delete an endpoint with its deliveries and log */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description No content */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        options?: never;
        head?: never;
        /** Change the URL, the event types or the description */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Where deliveries are POSTed: an absolute http(s) URL; a private or internal address is refused (422 webhook_url_not_allowed) where the server is set to refuse them */
                        url?: string;
                        /** @description Event types to receive: exact (`coupon.redeemed`), a family (`coupon.*`) or `*` for all; all when absent */
                        events?: string[];
                        description?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            events: string[];
                            description: string | null;
                            /** @enum {unknown} */
                            status: "enabled" | "disabled";
                            disabled_code: ("gone" | "failing" | "manual") | null;
                            disabled_reason: string | null;
                            disabled_at: string | null;
                            failing_since: string | null;
                            last_success_at: string | null;
                            previous_secret_expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new signing secret (shown only here); the old one keeps signing for 24 h */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            events: string[];
                            description: string | null;
                            /** @enum {unknown} */
                            status: "enabled" | "disabled";
                            disabled_code: ("gone" | "failing" | "manual") | null;
                            disabled_reason: string | null;
                            disabled_at: string | null;
                            failing_since: string | null;
                            last_success_at: string | null;
                            previous_secret_expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                            /** @description The signing secret (whsec_…): shown only in this answer */
                            secret: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enable the endpoint again; its pending deliveries resume */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            events: string[];
                            description: string | null;
                            /** @enum {unknown} */
                            status: "enabled" | "disabled";
                            disabled_code: ("gone" | "failing" | "manual") | null;
                            disabled_reason: string | null;
                            disabled_at: string | null;
                            failing_since: string | null;
                            last_success_at: string | null;
                            previous_secret_expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop delivering to the endpoint */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            events: string[];
                            description: string | null;
                            /** @enum {unknown} */
                            status: "enabled" | "disabled";
                            disabled_code: ("gone" | "failing" | "manual") | null;
                            disabled_reason: string | null;
                            disabled_at: string | null;
                            failing_since: string | null;
                            last_success_at: string | null;
                            previous_secret_expires_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send one event again, or every subscribed event since a time, with a fresh retry schedule */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        event_id?: string;
                        /**
                         * Format: date-time
                         * @description ISO 8601 with offset
                         */
                        since?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Deliveries queued */
                            queued: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Deliveries to the endpoint, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    status?: "pending" | "delivered" | "failed";
                };
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                event_id: string;
                                event_type: string;
                                /** @enum {unknown} */
                                status: "pending" | "delivered" | "failed";
                                attempts: number;
                                next_attempt_at: string | null;
                                last_attempt_at: string | null;
                                last_status_code: number | null;
                                last_error: string | null;
                                delivered_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook-endpoints/{webhook_endpoint_id}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The delivery log: every attempt (time, status code, latency, error), newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    event_id?: string;
                };
                header?: never;
                path: {
                    webhook_endpoint_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                delivery_id: string;
                                event_id: string;
                                attempt: number;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                attempted_at: string;
                                status_code: number | null;
                                latency_ms: number;
                                error: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My notifications, newest first, with the unread count */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description Only those not yet read */
                    unread?: boolean;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                /** @description What it is about, in the event catalogue’s words */
                                kind: "points.changed" | "points.expiring" | "member.level_changed" | "stored_value.changed" | "member.birthday_gift" | "reward.exchanged" | "coupon.expiring" | "coupon.gifted" | "coupon.gift_received" | "coupon.gift_returned" | "share.rewarded" | "coupon.unlocked" | "group.completed" | "group.failed" | "referral.rewarded";
                                /** @description In the merchant’s language */
                                title: string;
                                /** @description In the merchant’s language */
                                body: string;
                                /** @description The data of the event it tells of */
                                data: {
                                    [key: string]: unknown;
                                };
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                read_at: string | null;
                            }[];
                            next_cursor: string | null;
                            /** @description Unread notifications in all */
                            unread_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/notifications/{notification_id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark one of my notifications read */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    notification_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description What it is about, in the event catalogue’s words */
                            kind: "points.changed" | "points.expiring" | "member.level_changed" | "stored_value.changed" | "member.birthday_gift" | "reward.exchanged" | "coupon.expiring" | "coupon.gifted" | "coupon.gift_received" | "coupon.gift_returned" | "share.rewarded" | "coupon.unlocked" | "group.completed" | "group.failed" | "referral.rewarded";
                            /** @description In the merchant’s language */
                            title: string;
                            /** @description In the merchant’s language */
                            body: string;
                            /** @description The data of the event it tells of */
                            data: {
                                [key: string]: unknown;
                            };
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            read_at: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wallet/notifications/read-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark all my notifications read */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            marked_read: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{user_id}/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What a customer was notified of, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description Only those not yet read */
                    unread?: boolean;
                };
                header?: never;
                path: {
                    /** @description The merchant’s own id for its customer (like an openid) */
                    user_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                /** @description What it is about, in the event catalogue’s words */
                                kind: "points.changed" | "points.expiring" | "member.level_changed" | "stored_value.changed" | "member.birthday_gift" | "reward.exchanged" | "coupon.expiring" | "coupon.gifted" | "coupon.gift_received" | "coupon.gift_returned" | "share.rewarded" | "coupon.unlocked" | "group.completed" | "group.failed" | "referral.rewarded";
                                /** @description In the merchant’s language */
                                title: string;
                                /** @description In the merchant’s language */
                                body: string;
                                /** @description The data of the event it tells of */
                                data: {
                                    [key: string]: unknown;
                                };
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                read_at: string | null;
                            }[];
                            next_cursor: string | null;
                            /** @description Unread notifications in all */
                            unread_count: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reported payments, newest first; a store-bound key lists its own store’s only */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description The merchant’s own id for its customer (like an openid) */
                    user_id?: string;
                    order_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                order_id: string;
                                /** @description Integer fen (分) */
                                amount: number;
                                user_id: string;
                                store_id: string | null;
                                items: {
                                    sku?: string;
                                    name?: string;
                                    quantity?: number;
                                    /** @description Integer fen (分) */
                                    amount?: number;
                                }[] | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                coupons: {
                                    rule_id: string;
                                    id: string;
                                    /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                    code: string;
                                    card_id: string;
                                    /** @description The card version whose terms the coupon was issued under */
                                    card_version_id: string;
                                    user_id: string;
                                    state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                    /** @description How the coupon reached its owner */
                                    source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    valid_from: string;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    valid_until: string;
                                    /**
                                     * Format: date-time
                                     * @description ISO 8601 with offset
                                     */
                                    issued_at: string;
                                    redeemed_at: string | null;
                                    redemption_id: string | null;
                                    voided_at: string | null;
                                    voided_by: ("holder" | "merchant") | null;
                                    gifted_by: string | null;
                                    channel: string | null;
                                    campaign: string | null;
                                    shared_by: string | null;
                                    unlock_after_friends: number | null;
                                }[];
                                /** @description Rules that could not issue (no stock, the user’s limit, …); they never fail the payment */
                                failures: {
                                    rule_id: string;
                                    card_id: string;
                                    /** @description The error code the issue answered with */
                                    code: string;
                                    message: string;
                                }[];
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Report a paid order; coupons are issued by the issue-after-payment rules. The same order again answers 200 with the first payment */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description The merchant’s order id: an order is reported once */
                        order_id: string;
                        /** @description Integer fen (分). At most the merchant’s policy max_order_amount (¥100,000 unless changed): above it 422 order_amount_too_large */
                        amount: number;
                        /** @description The merchant’s own id for its customer (like an openid) */
                        user_id: string;
                        store_id?: string | null;
                        items?: {
                            sku?: string;
                            name?: string;
                            quantity?: number;
                            /** @description Integer fen (分) */
                            amount?: number;
                        }[] | null;
                    };
                };
            };
            responses: {
                /** @description The order was reported before: the first payment */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            order_id: string;
                            /** @description Integer fen (分) */
                            amount: number;
                            user_id: string;
                            store_id: string | null;
                            items: {
                                sku?: string;
                                name?: string;
                                quantity?: number;
                                /** @description Integer fen (分) */
                                amount?: number;
                            }[] | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            coupons: {
                                rule_id: string;
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            }[];
                            /** @description Rules that could not issue (no stock, the user’s limit, …); they never fail the payment */
                            failures: {
                                rule_id: string;
                                card_id: string;
                                /** @description The error code the issue answered with */
                                code: string;
                                message: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            order_id: string;
                            /** @description Integer fen (分) */
                            amount: number;
                            user_id: string;
                            store_id: string | null;
                            items: {
                                sku?: string;
                                name?: string;
                                quantity?: number;
                                /** @description Integer fen (分) */
                                amount?: number;
                            }[] | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            coupons: {
                                rule_id: string;
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            }[];
                            /** @description Rules that could not issue (no stock, the user’s limit, …); they never fail the payment */
                            failures: {
                                rule_id: string;
                                card_id: string;
                                /** @description The error code the issue answered with */
                                code: string;
                                message: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payments/{payment_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A payment and what it issued */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    payment_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            order_id: string;
                            /** @description Integer fen (分) */
                            amount: number;
                            user_id: string;
                            store_id: string | null;
                            items: {
                                sku?: string;
                                name?: string;
                                quantity?: number;
                                /** @description Integer fen (分) */
                                amount?: number;
                            }[] | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            coupons: {
                                rule_id: string;
                                id: string;
                                /** @description The code to show or type at the till; look-alikes, case, spaces and hyphens are forgiven */
                                code: string;
                                card_id: string;
                                /** @description The card version whose terms the coupon was issued under */
                                card_version_id: string;
                                user_id: string;
                                state: "available" | "redeemed" | "expired" | "voided" | "gifting" | "gifted" | "locked";
                                /** @description How the coupon reached its owner */
                                source: "api" | "claim_link" | "bulk" | "payment" | "gift" | "referral" | "points_exchange" | "birthday" | "share" | "share_reward" | "group";
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_from: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                valid_until: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                issued_at: string;
                                redeemed_at: string | null;
                                redemption_id: string | null;
                                voided_at: string | null;
                                voided_by: ("holder" | "merchant") | null;
                                gifted_by: string | null;
                                channel: string | null;
                                campaign: string | null;
                                shared_by: string | null;
                                unlock_after_friends: number | null;
                            }[];
                            /** @description Rules that could not issue (no stock, the user’s limit, …); they never fail the payment */
                            failures: {
                                rule_id: string;
                                card_id: string;
                                /** @description The error code the issue answered with */
                                code: string;
                                message: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payment-rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The issue-after-payment rules, oldest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    active?: boolean;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                card_id: string;
                                /** @description Integer fen (分) */
                                min_amount: number;
                                active: boolean;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Issue a card after payments of at least min_amount (once per order) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        card_id: string;
                        /** @description Integer fen (分) */
                        min_amount: number;
                        active?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Integer fen (分) */
                            min_amount: number;
                            active: boolean;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/payment-rules/{payment_rule_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An issue-after-payment rule */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    payment_rule_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Integer fen (分) */
                            min_amount: number;
                            active: boolean;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        /** Delete a rule */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    payment_rule_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description No content */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        options?: never;
        head?: never;
        /** Change a rule (card, minimum, active); orders already reported keep what they got */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    payment_rule_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        card_id?: string;
                        /** @description Integer fen (分) */
                        min_amount?: number;
                        active?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            card_id: string;
                            /** @description Integer fen (分) */
                            min_amount: number;
                            active: boolean;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            updated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
    "/v1/stats/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The dashboard: claims, redemptions and redemption rate per day (merchant’s local days, today last) and the stock left per card */
        get: {
            parameters: {
                query?: {
                    days?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            timezone: string;
                            days: number;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            from: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            to: string;
                            today: {
                                /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                                date: string;
                                /** @description Coupons claimed (issued) that day */
                                claims: number;
                                /** @description Redemptions made that day and not reversed */
                                redemptions: number;
                                /** @description Of the coupons claimed that day, how many are redeemed now */
                                redeemed: number;
                                redemption_rate: number | null;
                            };
                            totals: {
                                claims: number;
                                redemptions: number;
                                redeemed: number;
                                redemption_rate: number | null;
                            };
                            daily: {
                                /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                                date: string;
                                /** @description Coupons claimed (issued) that day */
                                claims: number;
                                /** @description Redemptions made that day and not reversed */
                                redemptions: number;
                                /** @description Of the coupons claimed that day, how many are redeemed now */
                                redeemed: number;
                                redemption_rate: number | null;
                            }[];
                            /** @description Cards still issuing (not ended), newest first, at most 50 */
                            cards: {
                                card_id: string;
                                title: string;
                                status: string;
                                stock_remaining: number;
                                issued_count: number;
                                redeemed_count: number;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stats/daily": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Per card and local day: coupons issued, redeemed, reversed, expired, voided and the net discount (fen) */
        get: {
            parameters: {
                query?: {
                    /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                    from?: string;
                    /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                    to?: string;
                    card_id?: string;
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                                day: string;
                                card_id: string;
                                issued: number;
                                redeemed: number;
                                reversed: number;
                                expired: number;
                                voided: number;
                                /** @description Net discount given that day, integer fen (reversals subtracted) */
                                discount_amount: number;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stats/cards/{card_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A card’s views, claims, redemptions, amounts and rates over local days, by day and by issue channel */
        get: {
            parameters: {
                query?: {
                    /** @description First local day (default: 29 days before `to`) */
                    from?: string;
                    /** @description Last local day, included (default: today) */
                    to?: string;
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                    /** @description Which list CSV answers (default by_day) */
                    list?: "by_day" | "by_channel" | "by_campaign";
                };
                header?: never;
                path: {
                    card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A card’s figures over local days of the merchant’s zone, today live */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            card_id: string;
                            timezone: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            from: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            to: string;
                            views: number;
                            /** @description Distinct viewers over the range */
                            viewers: number;
                            claims: number;
                            /** @description Distinct customers who claimed in the range and hold a coupon not voided */
                            claimers: number;
                            shares: number;
                            sharers: number;
                            /** @description Gifts of the card’s coupons accepted in the range (a receiver took them) */
                            gifts: number;
                            redemptions: number;
                            /** @description Distinct customers with a redemption in the range, not reversed */
                            redeemers: number;
                            expired: number;
                            /** @description Integer fen */
                            discount_amount: number;
                            /** @description Integer fen */
                            order_amount: number;
                            claim_rate: number | null;
                            redemption_rate: number | null;
                            share_rate: number | null;
                            cost_per_redemption: number | null;
                            roi: number | null;
                            by_day: {
                                /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                                date: string;
                                views: number;
                                /** @description Distinct viewers that day */
                                viewers: number;
                                /** @description Coupons claimed that day less those voided that day; net of reversals and voids, so a day may be negative */
                                claims: number;
                                /** @description Redemptions that day less reversals that day; net of reversals and voids, so a day may be negative */
                                redemptions: number;
                                expired: number;
                                /** @description Gifts of the card’s coupons accepted that day */
                                gifts: number;
                                /** @description Discount given, integer fen; net of reversals and voids, so a day may be negative */
                                discount_amount: number;
                                /** @description Order amounts of the redemptions, integer fen; net of reversals and voids, so a day may be negative */
                                order_amount: number;
                            }[];
                            /** @description Per issue channel (how coupons were issued), most claims first */
                            by_channel: {
                                /** @description How the coupons were issued: claim_link, api, bulk, payment, points_exchange, birthday … */
                                channel: string;
                                claims: number;
                                redemptions: number;
                                discount_amount: number;
                                order_amount: number;
                                redemption_rate: number | null;
                            }[];
                            /** @description Per channel and campaign tag of yours, most claims first */
                            by_campaign: {
                                channel: string | null;
                                campaign: string | null;
                                /** @description Coupons issued in the range with these tags and not voided */
                                claims: number;
                                /** @description Redemptions in the range, not reversed */
                                redemptions: number;
                                discount_amount: number;
                                order_amount: number;
                                redemption_rate: number | null;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stats/funnel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Distinct people who viewed, claimed and redeemed, of one card or of all, over local days */
        get: {
            parameters: {
                query?: {
                    /** @description First local day (default: 29 days before `to`) */
                    from?: string;
                    /** @description Last local day, included (default: today) */
                    to?: string;
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                    card_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            card_id: string | null;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            from: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            to: string;
                            steps: {
                                name: "view" | "claim" | "redeem";
                                users: number;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/track": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record one of the merchant’s own events (a click, a page view) for custom statistics; a wallet token records it for its customer */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Lower case, digits and _ . : -, at most 64; `view` is Kabao’s own */
                        event: string;
                        card_id?: string;
                        /** @description The merchant’s own id for its customer (like an openid) */
                        user_id?: string;
                        /** @description Anything the merchant wants kept with it, at most 2 KB of JSON */
                        props?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            event: string;
                            card_id: string | null;
                            user_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            occurred_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/segments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Members per RFM segment (recency, frequency, monetary against the card’s thresholds), now */
        get: {
            parameters: {
                query?: {
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                };
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            member_card_id: string;
                            thresholds: {
                                /** @description Frequency and monetary count orders of the last this many days */
                                window_days: number;
                                /** @description Recency is high when the last order is at most this many days ago */
                                recency_days: number;
                                /** @description Frequency is high from this many orders in the window */
                                frequency: number;
                                /** @description Monetary is high from this much spent in the window, integer fen, net of refunds */
                                monetary: number;
                            };
                            thresholds_are_default: boolean;
                            members: number;
                            segments: {
                                /** @description An RFM segment: high_value, potential, at_risk, win_back, loyal, promising, needs_attention, hibernating, no_orders */
                                segment: "high_value" | "potential" | "at_risk" | "win_back" | "loyal" | "promising" | "needs_attention" | "hibernating" | "no_orders";
                                /** @description The segment’s name in the seed table (重要价值客户 …) */
                                name: string;
                                description: string;
                                recency: ("high" | "low") | null;
                                frequency: ("high" | "low") | null;
                                monetary: ("high" | "low") | null;
                                members: number;
                                share: number | null;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/segment-thresholds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The card’s RFM thresholds (the seed table’s defaults until changed) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            member_card_id: string;
                            /** @description Frequency and monetary count orders of the last this many days */
                            window_days: number;
                            /** @description Recency is high when the last order is at most this many days ago */
                            recency_days: number;
                            /** @description Frequency is high from this many orders in the window */
                            frequency: number;
                            /** @description Monetary is high from this much spent in the window, integer fen, net of refunds */
                            monetary: number;
                            /** @description The seed table’s defaults, not changed by the merchant */
                            is_default: boolean;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        /** Change the card’s RFM thresholds */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            /** @description The thresholds to change; the others keep their values */
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Frequency and monetary count orders of the last this many days */
                        window_days?: number;
                        /** @description Recency is high when the last order is at most this many days ago */
                        recency_days?: number;
                        /** @description Frequency is high from this many orders in the window */
                        frequency?: number;
                        /** @description Monetary is high from this much spent in the window, integer fen, net of refunds */
                        monetary?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            member_card_id: string;
                            /** @description Frequency and monetary count orders of the last this many days */
                            window_days: number;
                            /** @description Recency is high when the last order is at most this many days ago */
                            recency_days: number;
                            /** @description Frequency is high from this many orders in the window */
                            frequency: number;
                            /** @description Monetary is high from this much spent in the window, integer fen, net of refunds */
                            monetary: number;
                            /** @description The seed table’s defaults, not changed by the merchant */
                            is_default: boolean;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/member-cards/{member_card_id}/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Member growth, active share, points exchange rate and member against other spend over local days */
        get: {
            parameters: {
                query?: {
                    /** @description First local day (default: 29 days before `to`) */
                    from?: string;
                    /** @description Last local day, included (default: today) */
                    to?: string;
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                };
                header?: never;
                path: {
                    member_card_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            member_card_id: string;
                            timezone: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            from: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            to: string;
                            /** @description Members at the end of the range */
                            members: number;
                            /** @description Members who joined in the range */
                            new_members: number;
                            member_growth_rate: number | null;
                            /** @description Members with an order in the range */
                            active_members: number;
                            active_share: number | null;
                            points_earned: number;
                            /** @description Points spent on rewards in the range */
                            points_exchanged: number;
                            points_exchange_rate: number | null;
                            member_spend: {
                                orders: number;
                                /** @description Integer fen, net of refunds */
                                amount: number;
                                average_order: number | null;
                            };
                            /** @description Redemptions in the range that no member order names: customers who are not members (or did not say) */
                            other_spend: {
                                orders: number;
                                /** @description Integer fen, net of refunds */
                                amount: number;
                                average_order: number | null;
                            };
                            by_day: {
                                /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                                date: string;
                                new_members: number;
                                members: number;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stats/redeemers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Redeemers of a card (or of all) by gender and age band, from the profiles members gave with consent */
        get: {
            parameters: {
                query?: {
                    /** @description First local day (default: 29 days before `to`) */
                    from?: string;
                    /** @description Last local day, included (default: today) */
                    to?: string;
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                    card_id?: string;
                    /** @description Which list CSV answers (default by_gender) */
                    list?: "by_gender" | "by_age_band";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            card_id: string | null;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            from: string;
                            /** @description A local date in the merchant’s time zone, YYYY-MM-DD */
                            to: string;
                            redeemers: number;
                            by_gender: {
                                gender: "female" | "male" | "other" | "unknown";
                                redeemers: number;
                                share: number | null;
                            }[];
                            by_age_band: {
                                age_band: "under_18" | "18_24" | "25_34" | "35_44" | "45_54" | "55_plus" | "unknown";
                                redeemers: number;
                                share: number | null;
                            }[];
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/experiments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List experiments with their variants, oldest first (results: GET /v1/experiments/{id}) */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                name: string;
                                status: "running" | "stopped";
                                token: string;
                                url: string;
                                variants: {
                                    card_id: string;
                                    weight: number;
                                }[];
                                winner_card_id: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                                stopped_at: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Start an A/B test of two or more cards behind one claim token */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @description Two to ten different cards; visitors are spread over them in proportion to their weights */
                        variants: {
                            card_id: string;
                            weight: number;
                        }[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            status: "running" | "stopped";
                            /** @description Works in the claim flow: GET/POST /v1/claim/{token} */
                            token: string;
                            /** @description The wallet’s claim page for the token */
                            url: string;
                            variants: {
                                card_id: string;
                                weight: number;
                            }[];
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/experiments/{experiment_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Per-variant funnel of an experiment, the p-value and the leader at 95 % */
        get: {
            parameters: {
                query?: {
                    /** @description csv answers the list as text/csv (as `Accept: text/csv` does) */
                    format?: "json" | "csv";
                };
                header?: never;
                path: {
                    experiment_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            status: "running" | "stopped";
                            token: string;
                            url: string;
                            variants: {
                                card_id: string;
                                weight: number;
                                /** @description Claim-page views that showed this variant while the experiment ran */
                                views: number;
                                /** @description Coupons claimed through the experiment, not voided */
                                claims: number;
                                /** @description Of those, redeemed and not reversed */
                                redemptions: number;
                                claim_rate: number | null;
                                redemption_rate: number | null;
                            }[];
                            p_value: number | null;
                            leader: string | null;
                            winner_card_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            stopped_at: string | null;
                        };
                        "text/csv": string;
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/experiments/{experiment_id}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop the experiment and keep one card (the given one, else the leader, else the best so far) for every visitor from now on */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    experiment_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        keep_card_id?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            status: "running" | "stopped";
                            token: string;
                            url: string;
                            variants: {
                                card_id: string;
                                weight: number;
                                /** @description Claim-page views that showed this variant while the experiment ran */
                                views: number;
                                /** @description Coupons claimed through the experiment, not voided */
                                claims: number;
                                /** @description Of those, redeemed and not reversed */
                                redemptions: number;
                                claim_rate: number | null;
                                redemption_rate: number | null;
                            }[];
                            p_value: number | null;
                            leader: string | null;
                            winner_card_id: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                            stopped_at: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/message-channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The channels customers are reached on */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                channel: "email" | "sms";
                                /** @description E-mail: the sender address */
                                from?: string;
                                /** @description E-mail: the mail server (its password is never shown) */
                                smtp_host?: string;
                                /** @description SMS: the merchant’s gateway hook */
                                url?: string;
                                /** @description SMS: the hook’s signing secret, shown when it is made only */
                                secret?: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/message-channels/email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Send customers e-mail through this SMTP server */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description smtp://user:password@host:587 or smtps://…:465 */
                        smtp_url: string;
                        from: string;
                    };
                };
            };
            responses: {
                /** @description How customers are reached on one channel */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            channel: "email" | "sms";
                            /** @description E-mail: the sender address */
                            from?: string;
                            /** @description E-mail: the mail server (its password is never shown) */
                            smtp_host?: string;
                            /** @description SMS: the merchant’s gateway hook */
                            url?: string;
                            /** @description SMS: the hook’s signing secret, shown when it is made only */
                            secret?: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/message-channels/sms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Send customers SMS through the merchant’s own gateway, called with a signed POST */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        url: string;
                        /** @default false */
                        rotate_secret?: boolean;
                    };
                };
            };
            responses: {
                /** @description How customers are reached on one channel */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            channel: "email" | "sms";
                            /** @description E-mail: the sender address */
                            from?: string;
                            /** @description E-mail: the mail server (its password is never shown) */
                            smtp_host?: string;
                            /** @description SMS: the merchant’s gateway hook */
                            url?: string;
                            /** @description SMS: the hook’s signing secret, shown when it is made only */
                            secret?: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/message-channels/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Stop sending on a channel */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    channel: "email" | "sms";
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description No content */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/message-channels/{channel}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a test message; the answer says whether the provider took it */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    channel: "email" | "sms";
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description A phone number or e-mail address */
                        to: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            channel: "email" | "sms";
                            destination: string;
                            /** @description `one_time_code` (a wallet sign-in code), `test`, or the kind of the customer notification it passes on */
                            kind: "one_time_code" | "test" | "coupon.expiring" | "points.expiring" | "points.changed" | "member.level_changed";
                            text: string;
                            /** @description `pending`: queued or waiting to be tried again; `failed`: the provider refused it for good; `not_sent`: no provider is set up for the channel */
                            status: "pending" | "sent" | "failed" | "not_sent";
                            error: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sent-messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What was sent to customers, or would have been with no provider (发送记录), newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                channel: "email" | "sms";
                                destination: string;
                                /** @description `one_time_code` (a wallet sign-in code), `test`, or the kind of the customer notification it passes on */
                                kind: "one_time_code" | "test" | "coupon.expiring" | "points.expiring" | "points.changed" | "member.level_changed";
                                text: string;
                                /** @description `pending`: queued or waiting to be tried again; `failed`: the provider refused it for good; `not_sent`: no provider is set up for the channel */
                                status: "pending" | "sent" | "failed" | "not_sent";
                                error: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/risk/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The merchant’s risk rules, defaults included */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            rules: {
                                name: "users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone";
                                enabled: boolean;
                                /** @description What the rule lets through in its window (users, requests, codes, redemptions; metres for redemption_distance, fen for discount_per_store_day) */
                                limit: number;
                                window_seconds: number;
                                action: "challenge" | "block";
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        /** Change the named rules; the others stay as they are */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        rules: {
                            name: "users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone";
                            enabled?: boolean;
                            /** @description What the rule lets through in its window (users, requests, codes, redemptions; metres for redemption_distance, fen for discount_per_store_day) */
                            limit?: number;
                            window_seconds?: number;
                            action?: "challenge" | "block";
                        }[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            rules: {
                                name: "users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone";
                                enabled: boolean;
                                /** @description What the rule lets through in its window (users, requests, codes, redemptions; metres for redemption_distance, fen for discount_per_store_day) */
                                limit: number;
                                window_seconds: number;
                                action: "challenge" | "block";
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/risk/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every challenge and block the rules decided, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    decision?: "challenge" | "block";
                    rule?: "users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone";
                    /** @description ISO 8601 with offset */
                    since?: string;
                    subject_type?: "user" | "device" | "address" | "phone" | "key" | "clerk" | "store";
                    /** @description With subject_type: one subject’s history */
                    subject_value?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                /** @description Also the `challenge_id` of a challenge */
                                id: string;
                                decision: "challenge" | "block";
                                rule: "users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone";
                                activity: "claim" | "redeem" | "wrong_code" | "send_gift" | "accept_gift" | "share" | "join_group" | "sign_in" | "join";
                                subject: {
                                    type: "user" | "device" | "address" | "phone" | "key" | "clerk" | "store";
                                    value: string;
                                };
                                confirmed_at: string | null;
                                confirmed_by: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/risk/blocks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The blocks in force */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                type: "user" | "device" | "address" | "phone" | "key" | "clerk" | "store";
                                value: string;
                                until: string | null;
                                rule: ("users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone") | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Refuse a user, device, address or phone (until a time, or until removed) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        type: "user" | "device" | "address" | "phone";
                        value: string;
                        until?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            type: "user" | "device" | "address" | "phone" | "key" | "clerk" | "store";
                            value: string;
                            until: string | null;
                            rule: ("users_per_device" | "claims_per_address" | "wrong_codes" | "redemptions_per_clerk" | "new_account_gift" | "redemption_distance" | "discount_per_store_day" | "accounts_per_device" | "accounts_per_phone") | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/risk/blocks/{block_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a block */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    block_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description No content */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-apps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The merchant’s WeChat app credentials */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                appid: string;
                                original_id: string;
                                /**
                                 * @description full | redeem (till work) | read
                                 * @enum {unknown}
                                 */
                                scope: "full" | "redeem" | "read";
                                store_id: string | null;
                                create_as_draft: boolean;
                                status: "active" | "disabled";
                                push_url: string | null;
                                /** @description Whether card_pass_check is pushed */
                                card_pass_check: boolean;
                                /** Format: date-time */
                                created_at: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** A WeChat app credential (appid + secret) for the WeChat-compatible API; the secret is shown once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @description full | redeem (till work) | read
                         * @enum {unknown}
                         */
                        scope?: "full" | "redeem" | "read";
                        store_id?: string | null;
                        original_id?: string;
                        create_as_draft?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            appid: string;
                            original_id: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            create_as_draft: boolean;
                            status: "active" | "disabled";
                            push_url: string | null;
                            /** @description Whether card_pass_check is pushed */
                            card_pass_check: boolean;
                            /** Format: date-time */
                            created_at: string;
                            /** @description Shown only here and on rotation */
                            secret: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-apps/{appid}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new secret; tokens of the old one stop at once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            appid: string;
                            original_id: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            create_as_draft: boolean;
                            status: "active" | "disabled";
                            push_url: string | null;
                            /** @description Whether card_pass_check is pushed */
                            card_pass_check: boolean;
                            /** Format: date-time */
                            created_at: string;
                            /** @description Shown only here and on rotation */
                            secret: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-facade": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where the WeChat-compatible API is served: the base URL to point WeChat SDKs at */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            enabled: boolean;
                            base_url: string | null;
                            token_url: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-locations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The integer location_id (POI id) the WeChat-compatible API knows each store by */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                location_id: number;
                                store_id: string;
                                store_name: string;
                            }[];
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-encrypt-code-key/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new key for the merchant’s encrypt_code (the code in wallet link cells): every encrypt_code handed out before stops decrypting (40075) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description 1 until the first rotation */
                            generation: number;
                            /** Format: date-time */
                            rotated_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-apps/{appid}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Disable a credential; its tokens stop at once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            appid: string;
                            original_id: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            create_as_draft: boolean;
                            status: "active" | "disabled";
                            push_url: string | null;
                            /** @description Whether card_pass_check is pushed */
                            card_pass_check: boolean;
                            /** Format: date-time */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-apps/{appid}/push": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Where the app’s events are pushed as WeChat XML: the URL must answer the echo check (GET with echostr) signed with the Token; a null URL stops pushes */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appid: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        push_url: string | null;
                        /** @description WeChat’s Token: 3–32 letters and digits; needed with the first URL, kept when absent */
                        push_token?: string;
                        /** @description Push card_pass_check when a card becomes active (default true) */
                        card_pass_check?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            appid: string;
                            original_id: string;
                            /**
                             * @description full | redeem (till work) | read
                             * @enum {unknown}
                             */
                            scope: "full" | "redeem" | "read";
                            store_id: string | null;
                            create_as_draft: boolean;
                            status: "active" | "disabled";
                            push_url: string | null;
                            /** @description Whether card_pass_check is pushed */
                            card_pass_check: boolean;
                            /** Format: date-time */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-apps/{appid}/push-deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The push log: each event pushed to the app’s URL, its state, attempts and last answer, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    status?: "pending" | "delivered" | "failed";
                };
                header?: never;
                path: {
                    appid: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                event_id: string;
                                /** @description The native event pushed (its WeChat events: docs/wechat.md) */
                                event_type: string;
                                /**
                                 * @description `delivered` (answered 200), `pending` (a retry is due) or `failed` (3 attempts without 200; resend it)
                                 * @enum {unknown}
                                 */
                                status: "pending" | "delivered" | "failed";
                                attempts: number;
                                next_attempt_at: string | null;
                                last_attempt_at: string | null;
                                last_status_code: number | null;
                                last_error: string | null;
                                delivered_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/wechat-apps/{appid}/push-deliveries/resend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Push an event again, with three fresh attempts (a failed push, or any event since the URL was set) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    appid: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        event_id: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            queued: number;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cgi-bin/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** access_token for appid and secret (query, JSON or form body) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_token: string;
                            expires_in: number;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** access_token for appid and secret (query, JSON or form body) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_token: string;
                            expires_in: number;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cgi-bin/stable_token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The live access_token without superseding it; force_refresh issues a new one */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_token: string;
                            expires_in: number;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cgi-bin/showqrcode": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The QR code image (PNG) of a card/qrcode/create ticket; no access_token */
        get: {
            parameters: {
                query?: {
                    ticket?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "image/png": string | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                        "application/json": string | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/kabao/landingpage/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The page of a card/landingpage/create (HTML); no access_token */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    token: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                        "application/json": string | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a card template (→ POST /v1/cards) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            card_id: string;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A card template with its live stock and status (→ GET /v1/cards/{id}) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            card: {
                                [key: string]: unknown;
                            };
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/code/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A code’s holder, validity and status (→ GET /v1/coupons/{code}) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            openid: string;
                            card: {
                                card_id: string;
                                begin_time: number;
                                end_time: number;
                            };
                            can_consume: boolean;
                            user_card_status: string;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/code/consume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Consume (redeem) a code, channel api (→ POST /v1/redemptions) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            openid: string;
                            card: {
                                card_id: string;
                            };
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/batchget": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The merchant’s card ids in creation order, by status (→ GET /v1/cards) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            card_id_list: string[];
                            total_num: number;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/update": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change a card’s face and settings; date_info may only widen (→ PATCH /v1/cards/{id}) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            send_check: boolean;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/modifystock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add to or take from the stock; never below zero (→ POST /v1/cards/{id}/stock) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/delete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End a card: no more claims; issued coupons stay valid (→ POST /v1/cards/{id}/end) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/code/decrypt": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The code an encrypt_code of a wallet link stands for */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            code: string;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/code/unavailable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Make a code unusable for good (→ POST /v1/coupons/{code}/void); GET takes query parameters */
        get: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Make a code unusable for good (→ POST /v1/coupons/{code}/void); GET takes query parameters */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/code/update": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change a code (new_code | newcode): Kabao generates every code, so 43009 */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/user/getcardlist": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** An openid’s coupons still in the wallet (→ GET /v1/users/{id}/coupons) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            card_list: {
                                code: string;
                                card_id: string;
                            }[];
                            has_share_card: boolean;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/qrcode/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A QR code for claiming a card or joining a member card (QR_CARD), or a page offering up to 5 (QR_MULTIPLE_CARD) (→ POST /v1/cards/{id}/claim-links) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            ticket: string;
                            /** @description Absent for a permanent QR code */
                            expire_seconds?: number;
                            url: string;
                            show_qrcode_url: string;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/landingpage/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A page listing cards to claim, each through a claim link (→ POST /v1/cards/{id}/claim-links) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            url: string;
                            page_id: number;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/membercard/activate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Activate a member: membership number, first points and balance once (→ members, points, stored value) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/membercard/updateuser": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change a member’s points (add_bonus | bonus) and balance (add_balance | balance) in one transaction (→ POST /v1/members/{id}/points, …/stored-value) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            result_bonus: number;
                            result_balance: number;
                            openid: string;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/card/membercard/userinfo/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A member’s number, points, balance, profile and activation (→ GET /v1/members/{id}) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            openid: string;
                            nickname: string;
                            membership_number: string;
                            bonus: number;
                            balance: number;
                            sex: string;
                            user_info: {
                                common_field_list: {
                                    name: string;
                                    value: string;
                                }[];
                                custom_field_list: {
                                    name: string;
                                    value: string;
                                    value_list: string[];
                                }[];
                            };
                            user_card_status: string;
                            has_active: boolean;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/datacube/getcardbizuininfo": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Coupon figures of every day in the range, all cards together (→ GET /v1/stats/funnel, /v1/stats/cards/{id}) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            list: {
                                ref_date: string;
                                view_cnt: number;
                                view_user: number;
                                receive_cnt: number;
                                receive_user: number;
                                verify_cnt: number;
                                verify_user: number;
                                given_cnt: number;
                                given_user: number;
                                expire_cnt: number;
                                expire_user: number;
                            }[];
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/datacube/getcardcardinfo": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Coupon figures per day and card with activity, or of one card_id (→ GET /v1/stats/cards/{id}) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            list: {
                                ref_date: string;
                                card_id: string;
                                card_type: number;
                                view_cnt: number;
                                view_user: number;
                                receive_cnt: number;
                                receive_user: number;
                                verify_cnt: number;
                                verify_user: number;
                                given_cnt: number;
                                given_user: number;
                                expire_cnt: number;
                                expire_user: number;
                            }[];
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/datacube/getcardmembercardinfo": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Member card figures of every day in the range (→ GET /v1/member-cards/{id}/metrics) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            list: {
                                ref_date: string;
                                view_cnt: number;
                                view_user: number;
                                receive_cnt: number;
                                receive_user: number;
                                active_user: number;
                                verify_cnt: number;
                                verify_user: number;
                                total_user: number;
                                total_receive_user: number;
                            }[];
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/kabao/card/issue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Kabao extension: issue a coupon to an openid (→ POST /v1/cards/{id}/issue) */
        post: {
            parameters: {
                query?: {
                    access_token?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {number} */
                            errcode: 0;
                            /** @enum {string} */
                            errmsg: "ok";
                            code: string;
                            card_id: string;
                            openid: string;
                        } | {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cgi-bin/{part_a}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/cgi-bin/{part_a}/{part_b}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /cgi-bin path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/card/{part_a}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/card/{part_a}/{part_b}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/card/{part_a}/{part_b}/{part_c}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/card/{part_a}/{part_b}/{part_c}/{part_d}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                    part_d: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                    part_d: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                    part_d: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                    part_d: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                    part_d: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /card path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                    part_d: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/datacube/{part_a}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/datacube/{part_a}/{part_b}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /datacube path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/kabao/{part_a}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/kabao/{part_a}/{part_b}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/kabao/{part_a}/{part_b}/{part_c}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        options: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        head?: never;
        /** Any other /kabao path or method: 43002 (known path, wrong method) or 48001 (not offered) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    part_a: string;
                    part_b: string;
                    part_c: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A refusal or failure, always HTTP 200 (WECHAT-API.md §3) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            errcode: 0 | 40001 | 40002 | 40013 | 40053 | 40056 | 40071 | 40072 | 40073 | 40075 | 40078 | 40079 | 40097 | 40099 | 40100 | 40122 | 40127 | 41001 | 41002 | 41004 | 41011 | 41012 | 42001 | 43002 | 43009 | 43010 | 45009 | 45021 | 45031 | 45033 | 47001 | 48001 | 61500 | 61501 | -1;
                            errmsg: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/setup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Whether this installation still needs its first owner (the first-run page), and whether it has merchants already */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            setup_required: boolean;
                            merchants_exist: boolean;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** First run: create the merchant and its owner, signed in at once. Only while no staff account (setup_closed) and no merchant (setup_done) exists */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        merchant_name: string;
                        timezone?: string;
                        /** @description An e-mail address or a user name; case does not matter */
                        login: string;
                        name?: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            staff: {
                                id: string;
                                login: string;
                                name: string;
                                /**
                                 * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                                 * @enum {unknown}
                                 */
                                role: "owner" | "operator" | "clerk" | "analyst";
                                store_id: string | null;
                                disabled: boolean;
                                last_login_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            };
                            merchant: {
                                id: string;
                                name: string;
                                timezone: string;
                            };
                            /** @description Send it in X-Kabao-Csrf with every write */
                            csrf_token: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/staff/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Staff sign-in: sets the HttpOnly session cookie and returns the CSRF token that writes must send in X-Kabao-Csrf */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description An e-mail address or a user name; case does not matter */
                        login: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            staff: {
                                id: string;
                                login: string;
                                name: string;
                                /**
                                 * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                                 * @enum {unknown}
                                 */
                                role: "owner" | "operator" | "clerk" | "analyst";
                                store_id: string | null;
                                disabled: boolean;
                                last_login_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            };
                            merchant: {
                                id: string;
                                name: string;
                                timezone: string;
                            };
                            /** @description Send it in X-Kabao-Csrf with every write */
                            csrf_token: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/staff/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in staff member, the merchant and the CSRF token */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            staff: {
                                id: string;
                                login: string;
                                name: string;
                                /**
                                 * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                                 * @enum {unknown}
                                 */
                                role: "owner" | "operator" | "clerk" | "analyst";
                                store_id: string | null;
                                disabled: boolean;
                                last_login_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            };
                            merchant: {
                                id: string;
                                name: string;
                                timezone: string;
                            };
                            /** @description Send it in X-Kabao-Csrf with every write */
                            csrf_token: string;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            expires_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        /** Sign out: ends this session */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description No content */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/staff/session/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change my own password; my other sessions are signed out */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        current_password: string;
                        new_password: string;
                    };
                };
            };
            responses: {
                /** @description No content */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/staff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List staff accounts */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            data: {
                                id: string;
                                login: string;
                                name: string;
                                /**
                                 * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                                 * @enum {unknown}
                                 */
                                role: "owner" | "operator" | "clerk" | "analyst";
                                store_id: string | null;
                                disabled: boolean;
                                last_login_at: string | null;
                                /**
                                 * Format: date-time
                                 * @description ISO 8601 with offset
                                 */
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        /** Create a staff account (owners only when signed in as staff) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description An e-mail address or a user name; case does not matter */
                        login: string;
                        name?: string;
                        password: string;
                        /**
                         * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                         * @enum {unknown}
                         */
                        role: "owner" | "operator" | "clerk" | "analyst";
                        store_id?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            login: string;
                            name: string;
                            /**
                             * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                             * @enum {unknown}
                             */
                            role: "owner" | "operator" | "clerk" | "analyst";
                            store_id: string | null;
                            disabled: boolean;
                            last_login_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/staff/{staff_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a staff account */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    staff_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            login: string;
                            name: string;
                            /**
                             * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                             * @enum {unknown}
                             */
                            role: "owner" | "operator" | "clerk" | "analyst";
                            store_id: string | null;
                            disabled: boolean;
                            last_login_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a staff account: name, role, store, password, or disable it (which signs it out everywhere) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    staff_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        /**
                         * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                         * @enum {unknown}
                         */
                        role?: "owner" | "operator" | "clerk" | "analyst";
                        store_id?: string | null;
                        password?: string;
                        disabled?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            login: string;
                            name: string;
                            /**
                             * @description owner | operator | clerk (redeems in store_id) | analyst (reads)
                             * @enum {unknown}
                             */
                            role: "owner" | "operator" | "clerk" | "analyst";
                            store_id: string | null;
                            disabled: boolean;
                            last_login_at: string | null;
                            /**
                             * Format: date-time
                             * @description ISO 8601 with offset
                             */
                            created_at: string;
                        };
                    };
                };
                400: components["responses"]["Problem400"];
                401: components["responses"]["Problem401"];
                403: components["responses"]["Problem403"];
                404: components["responses"]["Problem404"];
                405: components["responses"]["Problem405"];
                408: components["responses"]["Problem408"];
                409: components["responses"]["Problem409"];
                413: components["responses"]["Problem413"];
                414: components["responses"]["Problem414"];
                415: components["responses"]["Problem415"];
                422: components["responses"]["Problem422"];
                428: components["responses"]["Problem428"];
                429: components["responses"]["Problem429"];
                431: components["responses"]["Problem431"];
                500: components["responses"]["Problem500"];
                503: components["responses"]["Problem503"];
            };
        };
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description A problem (RFC 9457); switch on `code` */
        Problem: {
            type: string;
            title: string;
            status: number;
            detail: string;
            code: "malformed_request" | "unauthenticated" | "forbidden" | "csrf_token_invalid" | "not_found" | "card_not_found" | "code_not_found" | "store_not_found" | "coupon_not_found" | "redemption_not_found" | "api_key_not_found" | "claim_link_not_found" | "merchant_not_found" | "member_card_not_found" | "member_not_found" | "reward_not_found" | "order_not_found" | "pickup_code_not_found" | "webhook_endpoint_not_found" | "event_not_found" | "notification_not_found" | "payment_not_found" | "payment_rule_not_found" | "order_conflict" | "staff_not_found" | "method_not_allowed" | "unsupported_media_type" | "payload_too_large" | "uri_too_long" | "request_timeout" | "headers_too_large" | "validation_failed" | "webhook_url_not_allowed" | "below_threshold" | "order_amount_too_large" | "idempotency_key_reused" | "request_in_progress" | "out_of_stock" | "get_limit_reached" | "card_not_active" | "insufficient_stock" | "already_redeemed" | "already_reversed" | "expired" | "not_yet_valid" | "voided" | "coupon_locked" | "sharing_not_allowed" | "outside_usable_hours" | "store_not_allowed" | "invalid_state" | "claim_link_inactive" | "claim_link_reserved" | "experiment_not_found" | "experiment_stopped" | "already_member" | "member_card_not_active" | "insufficient_points" | "insufficient_balance" | "balance_limit_exceeded" | "stored_value_not_enabled" | "refund_not_allowed" | "refund_exceeds_order" | "reward_not_active" | "exchange_limit_reached" | "already_picked_up" | "already_signed_in" | "sign_in_not_offered" | "duplicate_source_ref" | "duplicate_payment_ref" | "duplicate_order_ref" | "login_taken" | "setup_closed" | "setup_done" | "invalid_credentials" | "otp_invalid" | "otp_rate_limited" | "rate_limited" | "capability_not_allowed" | "message_channel_not_found" | "delivery_unavailable" | "risk_blocked" | "confirmation_required" | "risk_block_not_found" | "gift_not_found" | "gift_not_allowed" | "gift_closed" | "coupon_gifting" | "coupon_gifted" | "wechat_app_not_found" | "group_not_found" | "group_not_offered" | "group_closed" | "already_in_group" | "invite_not_allowed" | "service_unavailable" | "internal_error";
            errors?: {
                field: string;
                code: string;
                message: string;
            }[];
            /** @description balance_limit_exceeded: the most the balance may hold under the merchant’s policy */
            limit?: number;
            /** @description balance_limit_exceeded: the balance when the posting was refused */
            balance?: number;
            request_id?: string;
            /** @description below_threshold: the order amount, fen */
            order_amount?: number;
            /** @description below_threshold: the least order amount the coupon needs, fen */
            threshold?: number;
            store_id?: string | null;
            redeemed_at?: string | null;
            /**
             * Format: date-time
             * @description not_yet_valid: the first moment it can be used
             */
            valid_from?: string;
            /**
             * Format: date-time
             * @description expired: the last moment it could be used
             */
            valid_until?: string;
            /** @description outside_usable_hours: when in the week it can be used, in the store’s zone (days 1 = Monday … 7 = Sunday) */
            usable_hours?: {
                days: number[];
                start: string;
                end: string;
            }[];
            /** @description confirmation_required: send the same request again with `confirm` set to it */
            challenge_id?: string;
            /** @description confirmation_required: the risk rule that asked for it (redemptions_per_clerk, discount_per_store_day, …), for the till to say why */
            rule?: string;
        };
    };
    responses: {
        /** @description Problem: malformed_request */
        Problem400: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: unauthenticated, invalid_credentials, otp_invalid */
        Problem401: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: forbidden, csrf_token_invalid, claim_link_reserved, capability_not_allowed, risk_blocked */
        Problem403: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: not_found, card_not_found, code_not_found, store_not_found, coupon_not_found, redemption_not_found, api_key_not_found, claim_link_not_found, merchant_not_found, member_card_not_found, member_not_found, reward_not_found, order_not_found, pickup_code_not_found, webhook_endpoint_not_found, event_not_found, notification_not_found, payment_not_found, payment_rule_not_found, staff_not_found, experiment_not_found, message_channel_not_found, risk_block_not_found, gift_not_found, wechat_app_not_found, group_not_found */
        Problem404: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: method_not_allowed */
        Problem405: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: request_timeout */
        Problem408: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: order_conflict, request_in_progress, out_of_stock, get_limit_reached, card_not_active, insufficient_stock, already_redeemed, already_reversed, expired, not_yet_valid, voided, coupon_locked, sharing_not_allowed, outside_usable_hours, store_not_allowed, invalid_state, claim_link_inactive, experiment_stopped, already_member, member_card_not_active, insufficient_points, insufficient_balance, balance_limit_exceeded, stored_value_not_enabled, refund_not_allowed, refund_exceeds_order, reward_not_active, exchange_limit_reached, already_picked_up, already_signed_in, sign_in_not_offered, duplicate_source_ref, duplicate_payment_ref, duplicate_order_ref, login_taken, setup_closed, setup_done, gift_not_allowed, gift_closed, coupon_gifting, coupon_gifted, group_not_offered, group_closed, already_in_group, invite_not_allowed */
        Problem409: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: payload_too_large */
        Problem413: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: uri_too_long */
        Problem414: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: unsupported_media_type */
        Problem415: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: validation_failed, webhook_url_not_allowed, below_threshold, order_amount_too_large, idempotency_key_reused */
        Problem422: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: confirmation_required */
        Problem428: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: otp_rate_limited, rate_limited */
        Problem429: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: headers_too_large */
        Problem431: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: internal_error */
        Problem500: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
        /** @description Problem: delivery_unavailable, service_unavailable */
        Problem503: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
